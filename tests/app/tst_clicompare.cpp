// `dejavu-tune compare`: the portability matrix, the rank correlations and the most portable
// configuration of datasets and stored sessions, and --export-default through the safe writer.
#include "TestSupport.h"
#include "analysis/PortableConfig.h"
#include "export/VllmConfigExporter.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace dv;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out, err;
};

const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");
const QString kMi250x = QStringLiteral("replay:kerneltuner/convolution_MI250X");

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestCliCompare : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void datasetsAsJson();
    void sessionsFlagFewCommonConfigurations();
    void exportDefault_data();
    void exportDefault();
    void exportRefusals_data();
    void exportRefusals();

private:
    Run cli(const QStringList& args) const;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

Run TestCliCompare::cli(const QStringList& args) const
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
    env.insert(QStringLiteral("HOME"), m_dir.path());
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(DEJAVU_TUNE_PATH), args);
    Run r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished(5000);
        r.err = "did not run to the end";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void TestCliCompare::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Sessions 1, 2: the first 15 configurations of the convolution space on A100 and MI250X.
    for (const QString& id : {kA100, kMi250x}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), id, QStringLiteral("--db"), path(QStringLiteral("s.sqlite")),
                           QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("15"),
                           QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    // Two made-up fused-MoE "GPUs" (vLLM's six parameters) as dataset files.
    QVERIFY(!test::writeMadeUpMoeDataset(path(QStringLiteral("moe_a.json")), 1024, 8, 14336, 4096).isEmpty());
    QVERIFY(!test::writeMadeUpMoeDataset(path(QStringLiteral("moe_b.json")), 64, 8, 14336, 4096).isEmpty());
}

void TestCliCompare::datasetsAsJson()
{
    const Run r = cli({QStringLiteral("compare"), kA100, kMi250x, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(QLatin1String("gpus")).toArray(), (QJsonArray{QStringLiteral("convolution_A100"), QStringLiteral("convolution_MI250X")}));
    // The A100's best on the MI250X (tst_portability's reference value).
    QVERIFY(std::abs(o.value(QLatin1String("slowdown")).toArray()[0].toArray()[1].toDouble() - 20.374769) < 1e-5);
    const QJsonObject rho = o.value(QLatin1String("rank_correlations")).toArray()[0].toObject();
    QVERIFY(rho.value(QLatin1String("common")).toInt() > 4000);
    QCOMPARE(rho.value(QLatin1String("few_common")).toBool(), false);
    auto portable = PortableConfig::compute({test::convolutionLandscape(QStringLiteral("A100")), test::convolutionLandscape(QStringLiteral("MI250X"))});
    QVERIFY(portable);
    const QJsonObject p = o.value(QLatin1String("portable")).toObject();
    QCOMPARE(p.value(QLatin1String("minimax")).toObject().value(QLatin1String("config")).toObject(), portable->minimax().config);
    QCOMPARE(p.value(QLatin1String("geomean")).toObject().value(QLatin1String("config")).toObject(), portable->geomean().config);
    QCOMPARE(p.value(QLatin1String("qualified")).toInt(), portable->qualified());
}

void TestCliCompare::sessionsFlagFewCommonConfigurations()
{
    const Run r = cli({QStringLiteral("compare"), QStringLiteral("--db"), path(QStringLiteral("s.sqlite")), QStringLiteral("--session"),
                       QStringLiteral("1,2"), kA100});
    const QString text = QString::fromUtf8(r.out);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // Two sessions of 15 configurations share at most 15: flagged. The dataset's best was never
    // measured by a session: "not measured", not a failure.
    QVERIFY2(text.contains(QLatin1String("WARNING: fewer than 20 common configurations, too few to trust")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("not measured")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("excluded as not measured on some GPU, unknown rather than good")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("minimax (smallest worst slowdown): {")), qPrintable(text));
}

void TestCliCompare::exportDefault_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<bool>("moe");
    QTest::newRow("json") << QStringLiteral("json") << false;
    QTest::newRow("dejavu") << QStringLiteral("dejavu") << false;
    QTest::newRow("vllm") << QStringLiteral("vllm") << true;
}

void TestCliCompare::exportDefault()
{
    QFETCH(QString, format);
    QFETCH(bool, moe);
    const QString file = path(QStringLiteral("default-%1").arg(format));
    const QStringList inputs = moe ? QStringList{path(QStringLiteral("moe_a.json")), path(QStringLiteral("moe_b.json"))} : QStringList{kA100, kMi250x};
    const Run r = cli(QStringList{QStringLiteral("compare")} + inputs
                      + QStringList{QStringLiteral("--export-default"), file, QStringLiteral("--format"), format});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject o = QJsonDocument::fromJson(cli(QStringList{QStringLiteral("compare"), QStringLiteral("--json")} + inputs).out).object();
    const QJsonObject minimax = o.value(QLatin1String("portable")).toObject().value(QLatin1String("minimax")).toObject().value(QLatin1String("config")).toObject();
    const QByteArray bytes = readFile(file);
    if (format == QLatin1String("json")) {
        QCOMPARE(QJsonDocument::fromJson(bytes).object().value(QLatin1String("config")).toObject(), minimax);
    } else if (format == QLatin1String("dejavu")) {
        QVERIFY(bytes.contains("def fallback_heuristic(key):"));
        QVERIFY2(bytes.contains(QStringLiteral("'block_size_x': %1").arg(minimax.value(QLatin1String("block_size_x")).toInt()).toUtf8()), bytes.constData());
    } else {
        auto configs = VllmConfigExporter::parse(bytes, file);
        QVERIFY2(configs, qPrintable(configs.error()));
        QCOMPARE(configs->keys(), QList<qint64>{1});
        QCOMPARE(configs->value(1), minimax);
    }
}

void TestCliCompare::exportRefusals_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("target"); // "" a new file, "other" a different file there, "fifo"
    QTest::addColumn<QString>("message");
    QTest::newRow("vllm of a convolution") << QStringLiteral("vllm") << QString()
                                           << QStringLiteral("is no parameter of vLLM's fused MoE kernel");
    QTest::newRow("unknown format") << QStringLiteral("yaml") << QString() << QStringLiteral("--format: expected dejavu, vllm, json");
    QTest::newRow("another file there") << QStringLiteral("json") << QStringLiteral("other") << QStringLiteral("--force");
    QTest::newRow("fifo") << QStringLiteral("json") << QStringLiteral("fifo") << QStringLiteral("not a regular file");
}

void TestCliCompare::exportRefusals()
{
    QFETCH(QString, format);
    QFETCH(QString, target);
    QFETCH(QString, message);
    const QString file = path(QStringLiteral("refused-%1-%2").arg(format, target));
    if (target == QLatin1String("other")) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("mine\n");
    } else if (target == QLatin1String("fifo")) {
        QCOMPARE(::mkfifo(QFile::encodeName(file).constData(), 0600), 0);
    }
    const Run r = cli({QStringLiteral("compare"), kA100, kMi250x, QStringLiteral("--export-default"), file, QStringLiteral("--format"), format});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    if (target.isEmpty())
        QVERIFY(!QFileInfo::exists(file));
    else if (target == QLatin1String("other"))
        QCOMPARE(readFile(file), QByteArray("mine\n"));
    else
        QVERIFY(!QFileInfo(file).isFile());
}

QTEST_GUILESS_MAIN(TestCliCompare)
#include "tst_clicompare.moc"

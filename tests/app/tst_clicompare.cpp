// `dejavu-tune compare`: the portability matrix, the rank correlations and the most portable
// configuration of datasets and stored sessions, and --export-default through the safe writer.
#include "CliRun.h"
#include "TestSupport.h"
#include "analysis/PortableConfig.h"
#include "export/VllmConfigExporter.h"
#include "session/ResultStore.h"

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

using Run = dv::test::CliRun;

const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");
const QString kMi250x = QStringLiteral("replay:kerneltuner/convolution_MI250X");
const QString kW7800 = QStringLiteral("replay:kerneltuner/convolution_W7800");

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
    void crossCheckMeasuresWhatSessionsLack();
    void crossCheckRefusals_data();
    void crossCheckRefusals();

private:
    Run cli(const QStringList& args) const;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

Run TestCliCompare::cli(const QStringList& args) const
{
    return test::runCli(args, test::inFolder(m_dir.path()));
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


// Two sparse random sessions: the matrix shows estimates marked as such and says what is missing
// with the stored devices (shown, not opened); --cross-check with the devices given measures it
// and the same comparison then shows measured values, nothing estimated or missing.
void TestCliCompare::crossCheckMeasuresWhatSessionsLack()
{
    const QString db = path(QStringLiteral("x.sqlite"));
    int seed = 1;
    for (const QString& id : {kA100, kMi250x}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), id, QStringLiteral("--db"), db, QStringLiteral("--strategy"),
                           QStringLiteral("random"), QStringLiteral("--seed"), QString::number(seed += 6), QStringLiteral("--budget"),
                           QStringLiteral("25"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    const QStringList compare{QStringLiteral("compare"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2")};
    Run r = cli(compare + QStringList{QStringLiteral("--json")});
    // No configuration is known on both yet, so no portable one: exit 3 (no result), the rest shown.
    QVERIFY2(r.exitCode == 3, r.err.constData());
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QVERIFY(o.value(QLatin1String("portable")).isNull());
    QCOMPARE(o.value(QLatin1String("slowdown")).toArray()[0].toArray()[1].toString(), QStringLiteral("not measured"));
    const QJsonObject estimate = o.value(QLatin1String("estimates")).toArray()[0].toArray()[1].toObject();
    QVERIFY(estimate.value(QLatin1String("slowdown")).toDouble() > 0);
    QVERIFY(estimate.value(QLatin1String("low")).toDouble() <= estimate.value(QLatin1String("high")).toDouble());
    QJsonArray missing = o.value(QLatin1String("not_measured")).toArray();
    QCOMPARE(missing.size(), 2);
    QCOMPARE(missing[0].toObject().value(QLatin1String("stored_device")).toString(), kA100);
    QCOMPARE(missing[0].toObject().value(QLatin1String("configs")).toArray().size(), 3);
    r = cli(compare);
    QString text = QString::fromUtf8(r.out);
    QVERIFY2(text.contains(QLatin1String("x est.")) && text.contains(QLatin1String("not measured on session 1")), qPrintable(text));

    r = cli(compare + QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), QStringLiteral("1=") + kA100,
                                  QStringLiteral("--device"), QStringLiteral("2=") + kMi250x});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    text = QString::fromUtf8(r.out);
    QVERIFY2(r.err.contains("cross-check of session 1: 3 configuration(s)"), r.err.constData());
    QVERIFY2(!text.contains(QLatin1String(" est.")) && !text.contains(QLatin1String("  not measured on session")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("session 1 (NVIDIA A100-PCIE-40GB) + cross-check 3")), qPrintable(text));
    r = cli(compare + QStringList{QStringLiteral("--json")});
    o = QJsonDocument::fromJson(r.out).object();
    // Measured now: a time, or the failure the configuration met there (the MI250X's best may not
    // run on the A100), never "not measured".
    for (auto [i, j] : {std::pair{0, 1}, std::pair{1, 0}}) {
        const QJsonValue cell = o.value(QLatin1String("slowdown")).toArray()[i].toArray()[j];
        QVERIFY2(cell.isDouble() || cell.toString().startsWith(QLatin1String("fails (")), qPrintable(cell.toString()));
    }
    QVERIFY(o.value(QLatin1String("estimates")).toArray()[0].toArray()[1].isNull());
    QVERIFY(o.value(QLatin1String("not_measured")).toArray().isEmpty());
    // Once complete, a second cross-check measures nothing and says so.
    r = cli(compare + QStringList{QStringLiteral("--cross-check")});
    QVERIFY2(r.exitCode == 0 && r.err.contains("nothing to measure"), r.err.constData());
}

void TestCliCompare::crossCheckRefusals_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("expected");
    const QString a = QStringLiteral("1=") + kA100, b = QStringLiteral("2=") + kMi250x;
    QTest::newRow("no device") << QStringList{QStringLiteral("--cross-check")}
                               << QStringLiteral("session 1: give the device of its GPU (session 1 (NVIDIA A100-PCIE-40GB): 3 configuration(s) of session 2");
    QTest::newRow("one device missing") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), a}
                                        << QStringLiteral("the session ran on 'replay:kerneltuner/convolution_MI250X'");
    QTest::newRow("another GPU") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), QStringLiteral("1=") + kW7800,
                                                QStringLiteral("--device"), b}
                                 << QStringLiteral("not the platform the session measured");
    QTest::newRow("not a compared session") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), QStringLiteral("9=") + kA100}
                                            << QStringLiteral("session 9 is not one of the compared --session ids");
    QTest::newRow("no equals") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), kA100}
                               << QStringLiteral("expected SESSION=DEVICE");
    QTest::newRow("twice") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), a, QStringLiteral("--device"), a}
                           << QStringLiteral("session 1 given twice");
    QTest::newRow("device without cross-check") << QStringList{QStringLiteral("--device"), a} << QStringLiteral("--device goes with --cross-check");
    QTest::newRow("count") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--cross-check-count"), QStringLiteral("0")}
                           << QStringLiteral("--cross-check-count: expected a positive integer");
    QTest::newRow("missing device id") << QStringList{QStringLiteral("--cross-check"), QStringLiteral("--device"), QStringLiteral("1=replay:no/such"),
                                                      QStringLiteral("--device"), b}
                                       << QStringLiteral("cross-check of session 1 on 'replay:no/such'");
}

// Refused before anything is measured: exit 2, the message names what to give, and the store
// holds the same sessions as before.
void TestCliCompare::crossCheckRefusals()
{
    QFETCH(QStringList, extra);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("r.sqlite"));
    int seed = 2;
    for (const QString& id : {kA100, kMi250x}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), id, QStringLiteral("--db"), db, QStringLiteral("--strategy"),
                           QStringLiteral("random"), QStringLiteral("--seed"), QString::number(seed += 5), QStringLiteral("--budget"),
                           QStringLiteral("12"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    const Run r = cli(QStringList{QStringLiteral("compare"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2")} + extra);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(expected), r.err.constData());
    QVERIFY(r.out.isEmpty());
    auto store = ResultStore::openForReading(db);
    QVERIFY(store);
    QCOMPARE(store.value()->sessions()->size(), 2);
}

QTEST_GUILESS_MAIN(TestCliCompare)
#include "tst_clicompare.moc"

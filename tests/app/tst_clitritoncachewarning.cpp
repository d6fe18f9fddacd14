// `dejavu-tune export --format triton-cache` warns (stderr) that GPUs of the tuned GPU's
// architecture load the export as their own, with what it costs where the store measured them,
// and still writes it.
#include "CliRun.h"
#include "TestSupport.h"
#include "base/Gzip.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

class TestCliTritonCacheWarning : public QObject {
    Q_OBJECT
private slots:
    void warnsAndWrites();

private:
    using Run = dv::test::CliRun;
    Run cli(const QStringList& args) const { return test::runCli(args, test::inFolder(m_dir.path(), path(QStringLiteral("xdg")))); }
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestCliTritonCacheWarning::warnsAndWrites()
{
    QVERIFY(m_dir.isValid());
    const QString db = path(QStringLiteral("r.sqlite"));
    // Session 1: the recorded H100 matmul 1024^3. Session 2: the same landscape as if recorded on
    // an H200 (same architecture, sm_90), measured whole.
    Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024"),
                 QStringLiteral("--budget"), QStringLiteral("6"), QStringLiteral("--db"), db, QStringLiteral("--quiet")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile gz(QStringLiteral(DEJAVU_DATASETS_DIR "/h100/triton_matmul_fp16_M1024_N1024_K1024.json.gz"));
    QVERIFY(gz.open(QIODevice::ReadOnly));
    auto json = gunzip(gz.readAll(), gz.fileName());
    QVERIFY(json);
    QJsonObject dataset = QJsonDocument::fromJson(json.value()).object();
    dataset.insert(QStringLiteral("device_name"), QStringLiteral("NVIDIA H200"));
    QFile h200(path(QStringLiteral("h200.json")));
    QVERIFY(h200.open(QIODevice::WriteOnly));
    h200.write(QJsonDocument(dataset).toJson());
    h200.close();
    r = cli({QStringLiteral("tune"), QStringLiteral("--device"), h200.fileName(), QStringLiteral("--strategy"), QStringLiteral("grid"),
             QStringLiteral("--db"), db, QStringLiteral("--quiet")});
    QVERIFY2(r.exitCode == 0, r.err.constData());

    QFile deploy(path(QStringLiteral("deploy.json")));
    QVERIFY(deploy.open(QIODevice::WriteOnly));
    deploy.write(QJsonDocument(QJsonObject{{QStringLiteral("triton_cache"), test::madeUpMatmulTritonCacheInputs()}}).toJson());
    deploy.close();
    const QString out = path(QStringLiteral("triton-cache"));
    r = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--format"),
             QStringLiteral("triton-cache"), QStringLiteral("--deployment"), deploy.fileName(), QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("warning: triton-cache: Triton keys its autotune cache on the compute capability (9.0), not the GPU's name: "
                            "H200, GH200, H800, H20 would load this export (tuned on NVIDIA H100 80GB HBM3)"),
             r.err.constData());
    // The H200 session measured every configuration: the exported one's cost there is known.
    QVERIFY2(r.err.contains("warning: triton-cache: key 1024 on NVIDIA H200 (session 2): the exported configuration takes "), r.err.constData());
    QVERIFY2(r.err.contains("x the best that session found"), r.err.constData());
    QDirIterator files(out, {QStringLiteral("*.autotune.json")}, QDir::Files, QDirIterator::Subdirectories);
    QVERIFY(files.hasNext()); // written all the same
}

QTEST_GUILESS_MAIN(TestCliTritonCacheWarning)
#include "tst_clitritoncachewarning.moc"

// `dejavu-tune ladder`, `export --format triton-cache` and `bundle` end to end on the recorded
// H100 landscapes (replay): one session per key, warm-started; the coverage; Triton's cache
// files for the ladder; a bundle that round-trips into another database.
#include "CliRun.h"
#include "TestSupport.h"
#include "export/TritonCacheExporter.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
    QString describe() const { return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(exitCode).arg(out.left(3000), err.left(3000)); }
};

Run textOf(const dv::test::CliRun& r) { return Run{r.exitCode, r.outText(), r.errText()}; }

Run cli(const QStringList& args, const QString& workingDirectory = {})
{
    dv::test::CliEnv env;
    env.workingDirectory = workingDirectory;
    return textOf(dv::test::runCli(args, env));
}

const QString kRmsTemplate = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows{rows}_N4096");

} // namespace

class TestCliLadder : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void ladderTunesEveryKeyWarmStarted()
    {
        const Run r = cli({QStringLiteral("ladder"), QStringLiteral("--device"), kRmsTemplate, QStringLiteral("--key-param"), QStringLiteral("rows"),
                           QStringLiteral("--keys"), QStringLiteral("1,16,256"), QStringLiteral("--budget"), QStringLiteral("6"),
                           QStringLiteral("--database"), path(QStringLiteral("rms.db"))});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("key 1: session 1, cold")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("key 16: session 2, warm from key 1")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("key 256: session 3, warm from key 16")), qPrintable(r.err));
        QVERIFY2(r.out.contains(QLatin1String("sessions 1,2,3 in")), qPrintable(r.out));
        // The coverage of each tuned key is against its own recorded landscape.
        const QStringList rows = r.out.split(QLatin1Char('\n')).filter(QRegularExpression(QStringLiteral("^\\s+(1|16|256)\\s+(1|16|256)\\s")));
        QCOMPARE(rows.size(), 3);

        const Run c = cli({QStringLiteral("ladder"), QStringLiteral("--coverage"), QStringLiteral("--db"), path(QStringLiteral("rms.db")),
                           QStringLiteral("--targets"), QStringLiteral("pow2:1..256"), QStringLiteral("--lookup"), QStringLiteral("nearest")});
        QVERIFY2(c.exitCode == 0, qPrintable(c.err));
        QVERIFY2(c.out.contains(QRegularExpression(QStringLiteral("\\n\\s+4\\s+1\\s"))), qPrintable(c.out));   // 4 -> nearest 1
        QVERIFY2(c.out.contains(QRegularExpression(QStringLiteral("\\n\\s+128\\s+16\\s"))), qPrintable(c.out)); // 128 -> 16 (vLLM: linear distance)
    }

    void ladderErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no placeholder") << QStringList{QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"),
                                                       QStringLiteral("--keys"), QStringLiteral("1"), QStringLiteral("--budget"), QStringLiteral("2")}
                                        << "holds no {key}";
        QTest::newRow("missing dataset") << QStringList{QStringLiteral("--device"), kRmsTemplate, QStringLiteral("--key-param"), QStringLiteral("rows"),
                                                        QStringLiteral("--keys"), QStringLiteral("16,17"), QStringLiteral("--budget"), QStringLiteral("2")}
                                         << "key 17:";
        QTest::newRow("bad keys") << QStringList{QStringLiteral("--device"), kRmsTemplate, QStringLiteral("--key-param"), QStringLiteral("rows"),
                                                 QStringLiteral("--keys"), QStringLiteral("pow2:8..2"), QStringLiteral("--budget"), QStringLiteral("2")}
                                  << "expected pow2:FIRST..LAST";
    }

    void ladderErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const QString db = path(QStringLiteral("never.db"));
        const Run r = cli(QStringList{QStringLiteral("ladder")} + args + QStringList{QStringLiteral("--db"), db});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFile::exists(db)); // every device opens before the database is created
    }

    void tritonCacheExportOfAReplayLadder()
    {
        // A matmul ladder over the two recorded sizes, exported for a deployment whose
        // Triton-specific hash inputs are given (made up here; on a GPU host deployment.py).
        const QString db = path(QStringLiteral("mm.db"));
        const Run r = cli({QStringLiteral("ladder"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M{key}_N{key}_K{key}"),
                           QStringLiteral("--keys"), QStringLiteral("1024,4096"), QStringLiteral("--budget"), QStringLiteral("6"), QStringLiteral("--db"), db});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject tc = dv::test::madeUpMatmulTritonCacheInputs();
        QFile f(path(QStringLiteral("deploy.json")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(QJsonObject{{QStringLiteral("triton_cache"), tc}}).toJson());
        f.close();
        const QString out = path(QStringLiteral("triton-cache"));
        const Run e = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--format"),
                           QStringLiteral("triton-cache"), QStringLiteral("--deployment"), f.fileName(), QStringLiteral("--out"), out});
        QVERIFY2(e.exitCode == 0, qPrintable(e.err));
        auto d = TritonCacheDeployment::fromJson(QJsonDocument(QJsonObject{{QStringLiteral("triton_cache"), tc}}).toJson(), QStringLiteral("deploy.json"));
        QVERIFY(d);
        for (const QString& key : {QStringLiteral("(1024, 1024, 1024, 'torch.float16', 'torch.float16', 'torch.float16')"),
                                   QStringLiteral("(4096, 4096, 4096, 'torch.float16', 'torch.float16', 'torch.float16')")}) {
            QFile file(out + QLatin1Char('/') + TritonCacheExporter::directoryName(d.value(), key) + QStringLiteral("/matmul_kernel.autotune.json"));
            QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
            auto used = TritonCacheExporter::readBack(d.value(), file.readAll());
            QVERIFY2(used, qPrintable(used.error()));
            QVERIFY2(e.err.contains(key + QStringLiteral(": ") + used.value()), qPrintable(e.err)); // the line the deployment check reads
        }
        // Replayed sessions carry no deployment values of their own.
        const Run none = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--format"),
                              QStringLiteral("triton-cache"), QStringLiteral("--out"), path(QStringLiteral("other"))});
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains(QLatin1String("holds no deployment values")), qPrintable(none.err));

        // The campaign as a bundle, imported into a fresh database with its exports; the export
        // directory given relative, as in the README (`--export triton-cache=./triton-cache`).
        const QString bundle = path(QStringLiteral("mm.tar.gz"));
        const Run c = cli({QStringLiteral("bundle"), QStringLiteral("create"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2"),
                           QStringLiteral("--kernel"), QStringLiteral("triton_matmul_fp16"), QStringLiteral("--export"),
                           QStringLiteral("triton-cache=./triton-cache"), QStringLiteral("--out"), bundle},
                          m_dir.path());
        QVERIFY2(c.exitCode == 0, qPrintable(c.err));
        const Run v = cli({QStringLiteral("bundle"), QStringLiteral("verify"), bundle});
        QVERIFY2(v.exitCode == 0 && v.out.contains(QLatin1String(": ok (4 members, 2 entries")), qPrintable(v.out + v.err));
        const Run i = cli({QStringLiteral("bundle"), QStringLiteral("import"), bundle, QStringLiteral("--db"), path(QStringLiteral("copy.db")),
                           QStringLiteral("--exports"), path(QStringLiteral("deploy"))});
        QVERIFY2(i.exitCode == 0 && i.out.contains(QLatin1String("imported 2 sessions")), qPrintable(i.out + i.err));
        QDirIterator it(path(QStringLiteral("deploy/triton-cache")), {QStringLiteral("*.autotune.json")}, QDir::Files, QDirIterator::Subdirectories);
        int n = 0;
        while (it.hasNext()) {
            it.next();
            ++n;
        }
        QCOMPARE(n, 2);
        // Where TRITON_CACHE_DIR=deploy/triton-cache looks: <dir>/<HASH>/<fn>.autotune.json, one level.
        for (const QString& m : {QStringLiteral("1024"), QStringLiteral("4096")}) {
            const QString key = QStringLiteral("(%1, %1, %1, 'torch.float16', 'torch.float16', 'torch.float16')").arg(m);
            const QString file = path(QStringLiteral("deploy/triton-cache/")) + TritonCacheExporter::directoryName(d.value(), key)
                                 + QStringLiteral("/matmul_kernel.autotune.json");
            QVERIFY2(QFile::exists(file), qPrintable(file));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliLadder)
#include "tst_cliladder.moc"

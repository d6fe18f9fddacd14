// The deployment formats of `dejavu-tune export` (dejavu, vllm, triton-cache): a ladder of
// replayed sessions goes in, the consumer's files come out, and bad input exits 2 with nothing written.
#include "CliRun.h"
#include "TestSupport.h"
#include "export/DejavuDeployment.h"
#include "export/VllmConfigExporter.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

using Run = dv::test::CliRun;

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList cacheFiles(const QString& root)
{
    QStringList out;
    QDirIterator it(root, {QStringLiteral("cache.json")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(it.next());
    return out;
}

} // namespace

class TestCliExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void dejavuLadder();
    void dejavuErrors_data();
    void dejavuErrors();
    void vllmLadder();
    void vllmErrors_data();
    void vllmErrors();
    void tritonCacheRefusesProblemsSharingAKey();

private:
    Run cli(const QStringList& args) const;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

Run TestCliExport::cli(const QStringList& args) const
{
    return test::runCli(args, test::inFolder(m_dir.path()));
}

void TestCliExport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Sessions 1-3: RMSNorm rows 1, 16, 256; sessions 1-2 of m.sqlite: matmul M 1024, 4096.
    for (const char* rows : {"1", "16", "256"}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"),
                           QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows%1_N4096").arg(QLatin1String(rows)),
                           QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--strategy"),
                           QStringLiteral("grid"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    for (const char* m : {"1024", "4096"}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"),
                           QStringLiteral("replay:h100/triton_matmul_fp16_M%1_N%1_K%1").arg(QLatin1String(m)),
                           QStringLiteral("--db"), path(QStringLiteral("m.sqlite")), QStringLiteral("--budget"),
                           QStringLiteral("40"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    // moe.sqlite: the fused-MoE layer E 8, N 14336, K 4096 at M 1024, 4096 (sessions 1-2), the
    // same layer at K 2048 (3) and E 16 (4); made-up landscapes replayed from files.
    const QList<QList<int>> layers{{1024, 8, 14336, 4096}, {4096, 8, 14336, 4096}, {2048, 8, 14336, 2048}, {2048, 16, 14336, 4096}};
    for (const QList<int>& l : layers) {
        const QString file = path(QStringLiteral("moe_M%1_E%2_K%3.json").arg(l[0]).arg(l[1]).arg(l[3]));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(test::madeUpMoeDataset(l[0], l[1], l[2], l[3]));
        f.close();
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), file, QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")),
                           QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    const QJsonObject deployment = test::madeUpRmsnormDeployment();
    QFile f(path(QStringLiteral("deployment.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(deployment).toJson());
}

void TestCliExport::dejavuLadder()
{
    const QString out = path(QStringLiteral("dejavu-store"));
    const QStringList args{QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")),
                           QStringLiteral("--format"), QStringLiteral("dejavu"), QStringLiteral("--deployment"),
                           path(QStringLiteral("deployment.json")), QStringLiteral("--session"), QStringLiteral("1,2,3"),
                           QStringLiteral("--out"), out};
    Run r = cli(args);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QStringList files = cacheFiles(out);
    QCOMPARE(files.size(), 1);
    QVERIFY(files.first().contains(QLatin1String("/dejavu_0.7/triton_3.3.1/cuda_12.4/gpu_NVIDIA_H100_80GB_HBM3/rmsnorm_kernel/")));
    const QJsonObject cache = QJsonDocument::fromJson(readFile(files.first())).object();
    QCOMPARE(cache.value(QLatin1String("evaluated_configs")).toInt(), 7 * 6 * 3);
    const QJsonObject entries = cache.value(QLatin1String("cache")).toObject();
    QCOMPARE(entries.size(), 3);
    for (const char* rows : {"1", "16", "256"})
        QVERIFY(entries.contains(QStringLiteral("('%1', 'torch.float16', 'torch.float16', 'torch.float16')").arg(QLatin1String(rows))));
    // Grid search saw every configuration and the landscape is at hand: each key is its own best.
    QVERIFY2(r.err.contains("       256        256"), r.err.constData());
    QVERIFY(r.err.contains("1.000"));
    // Again: identical, accepted; no second tree.
    r = cli(args);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(cacheFiles(out).size(), 1);
}

void TestCliExport::dejavuErrors_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QByteArray>("deployment");
    QTest::addColumn<QString>("message");
    QTest::newRow("no deployment") << QStringList() << QByteArray()
                                   << QStringLiteral("dejavu needs a deployment file (--deployment): session 3 holds no deployment values");
    QTest::newRow("bad field") << QStringList() << QByteArray("{\"triton_version\": 3}")
                               << QStringLiteral("bad.json: triton_version: expected a string, got 3");
    QTest::newRow("other gpu") << QStringList{QStringLiteral("a100")} << QByteArray()
                               << QStringLiteral("measured on 'NVIDIA H100 80GB HBM3' but gpu_name is 'NVIDIA A100-SXM4-80GB'");
}

void TestCliExport::dejavuErrors()
{
    QFETCH(QStringList, extra);
    QFETCH(QByteArray, deployment);
    QFETCH(QString, message);
    const QString out = path(QStringLiteral("dejavu-bad"));
    QStringList args{QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")),
                     QStringLiteral("--format"), QStringLiteral("dejavu"), QStringLiteral("--out"), out};
    if (!deployment.isEmpty()) {
        QFile f(path(QStringLiteral("bad.json")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(deployment);
        f.close();
        args += {QStringLiteral("--deployment"), f.fileName()};
    } else if (extra.contains(QStringLiteral("a100"))) {
        QJsonObject d = QJsonDocument::fromJson(readFile(path(QStringLiteral("deployment.json")))).object();
        d.insert(QStringLiteral("gpu_name"), QStringLiteral("NVIDIA A100-SXM4-80GB"));
        QFile f(path(QStringLiteral("a100.json")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(d).toJson());
        f.close();
        args += {QStringLiteral("--deployment"), f.fileName()};
    }
    const Run r = cli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    QVERIFY(!QFileInfo::exists(out));
}

void TestCliExport::vllmLadder()
{
    const QString out = path(QStringLiteral("vllm-configs"));
    const Run r = cli({QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")), QStringLiteral("--format"),
                       QStringLiteral("vllm"), QStringLiteral("--experts"), QStringLiteral("8"), QStringLiteral("--n"),
                       QStringLiteral("14336"), QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--session"),
                       QStringLiteral("2"), QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString file = out + QStringLiteral("/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");
    auto configs = VllmConfigExporter::parse(readFile(file), file);
    QVERIFY2(configs, qPrintable(configs.error()));
    QCOMPARE(configs->keys(), (QList<qint64>{1024, 4096}));
    QVERIFY(r.err.contains("      2048       1024")); // nearest M, ties to the smaller
}

void TestCliExport::vllmErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QStringList base{QStringLiteral("--experts"), QStringLiteral("8"), QStringLiteral("--n"), QStringLiteral("14336")};
    QTest::newRow("no experts") << QStringList{QStringLiteral("--n"), QStringLiteral("1")}
                                << QStringLiteral("--experts and --n are required for --format vllm");
    QTest::newRow("fp16 dtype") << base + QStringList{QStringLiteral("--dtype"), QStringLiteral("float16")}
                                << QStringLiteral("dtype: vLLM looks up float16 configurations without a dtype in the name");
    QTest::newRow("rmsnorm is no moe") << base + QStringList{QStringLiteral("--db"), QStringLiteral("r.sqlite")}
                                       << QStringLiteral("session 1 (triton_rmsnorm_fp16_rows1_N4096, problem [1,4096]): kernel "
                                                         "'triton_rmsnorm_fp16_rows1_N4096' is not the fused MoE kernel");
    // A dense matmul has vLLM's parameter names (as aliases) but is another kernel altogether.
    QTest::newRow("dense matmul is no moe") << base + QStringList{QStringLiteral("--db"), QStringLiteral("m.sqlite")}
                                            << QStringLiteral("kernel 'triton_matmul_fp16_M1024_N1024_K1024' is not the fused MoE kernel");
    QTest::newRow("other E") << QStringList{QStringLiteral("--experts"), QStringLiteral("16"), QStringLiteral("--n"), QStringLiteral("14336")}
                             << QStringLiteral("problem [1024,8,14336,4096,2,\"fp16\"]): E: the session tuned 8 experts, the file is for E=16");
    QTest::newRow("other N") << QStringList{QStringLiteral("--experts"), QStringLiteral("8"), QStringLiteral("--n"), QStringLiteral("7168")}
                             << QStringLiteral("N: the session tuned N=14336, the file is for N=7168");
    QTest::newRow("quantised file") << base + QStringList{QStringLiteral("--dtype"), QStringLiteral("fp8_w8a8")}
                                    << QStringLiteral("dtype: the session tuned fp16, the file is for fp8_w8a8");
    QTest::newRow("two layers") << base + QStringList{QStringLiteral("--session"), QStringLiteral("1,3")}
                                << QStringLiteral("session 3 (triton_fused_moe_fp16, problem [2048,8,14336,2048,2,\"fp16\"]): K=2048, topk=2, dtype fp16, "
                                                  "but the first session tuned K=4096, topk=2, dtype fp16; one file holds one layer");
    QTest::newRow("bad block shape") << base + QStringList{QStringLiteral("--block-shape"), QStringLiteral("128x128")}
                                     << QStringLiteral("--block-shape: expected N,K (two integers), got '128x128'");
}

void TestCliExport::vllmErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const QString out = path(QStringLiteral("vllm-bad"));
    QString db = path(QStringLiteral("moe.sqlite"));
    if (const qsizetype at = args.indexOf(QStringLiteral("--db")); at >= 0) {
        db = path(args.at(at + 1));
        args.remove(at, 2);
    }
    QString sessions = QStringLiteral("1,2");
    if (const qsizetype at = args.indexOf(QStringLiteral("--session")); at >= 0) {
        sessions = args.at(at + 1);
        args.remove(at, 2);
    }
    const Run r = cli(QStringList{QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("vllm"),
                                  QStringLiteral("--session"), sessions, QStringLiteral("--out"), out}
                      + args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    QVERIFY(!QFileInfo::exists(out));
}

void TestCliExport::tritonCacheRefusesProblemsSharingAKey()
{
    // RMSNorm's autotune key is N alone (the row count is the grid): rows 1, 16 and 256 give one
    // key tuple, and Triton would serve one of the three configurations to every row count.
    QFile f(path(QStringLiteral("deploy-rms.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(QJsonObject{{QStringLiteral("triton_cache"), test::madeUpRmsnormTritonCacheInputs()}}).toJson());
    f.close();
    const QString out = path(QStringLiteral("rms-triton-cache"));
    auto exportSessions = [&](const QString& sessions) {
        return cli({QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--format"),
                    QStringLiteral("triton-cache"), QStringLiteral("--deployment"), f.fileName(), QStringLiteral("--session"), sessions,
                    QStringLiteral("--out"), out});
    };
    Run r = exportSessions(QStringLiteral("1,2,3"));
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("session 2 (triton_rmsnorm_fp16_rows16_N4096, problem [16,4096]) and session 1 (problem [1,4096]) give the same "
                            "key (N) = (4096): Triton's autotuner cannot tell the two problems apart; export one of them"),
             r.err.constData());
    QVERIFY(!QFileInfo::exists(out));
    // One row count alone exports: one key, one file.
    r = exportSessions(QStringLiteral("2"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("wrote 1 tuned keys from 1 sessions"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestCliExport)
#include "tst_cliexport.moc"

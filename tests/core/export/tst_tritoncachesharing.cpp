// Triton keys its autotune cache on the compute capability: the export names the GPUs that would
// load it as their own and, from the store, what the exported configuration costs on them.
#include "device/GpuArchitecture.h"
#include "export/TritonCacheSharing.h"
#include "session/ResultStore.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

QJsonObject config(int block) { return QJsonObject{{QStringLiteral("BLOCK"), block}}; }

// A session of `kernel`/`problem` on `gpu` with one trial per (block, status, ms).
qint64 addSession(ResultStore& store, const QString& gpu, const QString& problem, const QVector<std::tuple<int, Status, double>>& trials)
{
    SessionRecord r;
    r.device.id = QStringLiteral("triton:0");
    r.device.name = gpu;
    r.device.backend = QStringLiteral("triton");
    r.device.toolchain = QStringLiteral("triton, triton 3.6.0");
    r.kernel = QStringLiteral("matmul");
    r.problem = problem;
    r.space = QJsonObject{{QStringLiteral("parameters"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BLOCK")},
                                                                                 {QStringLiteral("values"), QJsonArray{32, 64, 128}}}}}};
    r.strategy = QStringLiteral("grid");
    const qint64 id = store.createSession(r).value();
    int seq = 0;
    for (const auto& [block, status, ms] : trials) {
        Trial t;
        t.sessionId = id;
        t.sequence = ++seq;
        t.spaceIndex = seq - 1;
        t.config = config(block);
        t.configKey = QStringLiteral("{\"BLOCK\":%1}").arg(block);
        t.measurement.status = status;
        t.measurement.objectiveMs = status == Status::Ok ? ms : 0;
        if (status == Status::Ok)
            t.measurement.samplesMs = {ms};
        t.startedAt = QDateTime(QDate(2026, 12, 1), QTime(10, 0), Qt::UTC).addSecs(seq);
        t.finishedAt = t.startedAt.addMSecs(10);
        if (!store.appendTrial(t, 10))
            return -1;
    }
    return id;
}

} // namespace

class TestTritonCacheSharing : public QObject {
    Q_OBJECT
private slots:
    void architectures_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("capability");
        QTest::newRow("H100 SXM") << QStringLiteral("NVIDIA H100 80GB HBM3") << QStringLiteral("H100") << QStringLiteral("9.0");
        QTest::newRow("H200") << QStringLiteral("NVIDIA H200") << QStringLiteral("H200") << QStringLiteral("9.0");
        QTest::newRow("GH200 is not H200") << QStringLiteral("NVIDIA GH200 480GB") << QStringLiteral("GH200") << QStringLiteral("9.0");
        QTest::newRow("H20 is not H200") << QStringLiteral("NVIDIA H20") << QStringLiteral("H20") << QStringLiteral("9.0");
        QTest::newRow("A100 SXM") << QStringLiteral("NVIDIA A100-SXM4-80GB") << QStringLiteral("A100") << QStringLiteral("8.0");
        QTest::newRow("A10 is not A100") << QStringLiteral("NVIDIA A10") << QStringLiteral("A10") << QStringLiteral("8.6");
        QTest::newRow("L40S is not L40") << QStringLiteral("NVIDIA L40S") << QStringLiteral("L40S") << QStringLiteral("8.9");
        QTest::newRow("RTX 3090") << QStringLiteral("NVIDIA GeForce RTX 3090") << QStringLiteral("RTX 3090") << QStringLiteral("8.6");
        QTest::newRow("RTX 4090") << QStringLiteral("NVIDIA GeForce RTX 4090") << QStringLiteral("RTX 4090") << QStringLiteral("8.9");
        QTest::newRow("B200") << QStringLiteral("NVIDIA B200") << QStringLiteral("B200") << QStringLiteral("10.0");
        QTest::newRow("RTX PRO 6000") << QStringLiteral("NVIDIA RTX PRO 6000 Blackwell Server Edition") << QStringLiteral("RTX PRO 6000")
                                      << QStringLiteral("12.0");
        QTest::newRow("AMD") << QStringLiteral("AMD Instinct MI250X") << QString() << QString();
    }
    void architectures()
    {
        QFETCH(QString, name);
        QFETCH(QString, model);
        QFETCH(QString, capability);
        const auto gpu = GpuArchitecture::of(name);
        QCOMPARE(gpu.has_value(), !model.isEmpty());
        if (gpu) {
            QCOMPARE(gpu->model, model);
            QCOMPARE(gpu->capability(), capability);
        }
    }

    void sharingNamesTheArchitecture()
    {
        QCOMPARE(GpuArchitecture::sharingWith(QStringLiteral("NVIDIA H100 PCIe")),
                 (QStringList{QStringLiteral("H200"), QStringLiteral("GH200"), QStringLiteral("H800"), QStringLiteral("H20")}));
        QVERIFY(GpuArchitecture::sharingWith(QStringLiteral("NVIDIA GeForce RTX 4090")).contains(QStringLiteral("L40S")));
        QVERIFY(GpuArchitecture::sharingWith(QStringLiteral("AMD Instinct MI250X")).isEmpty());
    }

    // The H100 export of BLOCK 64 for [4096]: an H200 session ran it (1.5x its best), a GH200
    // session saw it fail, an H800 session never tried it; the A100 (another architecture) and an
    // H200 session of another problem are not mentioned.
    void warningsFromTheStore()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("r.sqlite")));
        QVERIFY(store);
        ResultStore& s = *store.value();
        addSession(s, QStringLiteral("NVIDIA H100 80GB HBM3"), QStringLiteral("[4096]"), {{64, Status::Ok, 1.0}});
        const qint64 h200 = addSession(s, QStringLiteral("NVIDIA H200"), QStringLiteral("[4096]"), {{32, Status::Ok, 2.0}, {64, Status::Ok, 3.0}});
        const qint64 gh200 = addSession(s, QStringLiteral("NVIDIA GH200 480GB"), QStringLiteral("[4096]"), {{64, Status::CompileError, 0}, {32, Status::Ok, 1.0}});
        const qint64 h800 = addSession(s, QStringLiteral("NVIDIA H800"), QStringLiteral("[4096]"), {{128, Status::Ok, 1.0}});
        addSession(s, QStringLiteral("NVIDIA A100-SXM4-80GB"), QStringLiteral("[4096]"), {{64, Status::Ok, 9.0}});
        addSession(s, QStringLiteral("NVIDIA H200"), QStringLiteral("[1024]"), {{64, Status::Ok, 9.0}});
        const QStringList w = TritonCacheSharing::warnings(s, QStringLiteral("NVIDIA H100 80GB HBM3"),
                                                           {SharedCacheEntry{4096, QStringLiteral("matmul"), QStringLiteral("[4096]"), config(64)}});
        QCOMPARE(w.size(), 4);
        QCOMPARE(w[0], QStringLiteral("triton-cache: Triton keys its autotune cache on the compute capability (9.0), not the GPU's name: "
                                      "H200, GH200, H800, H20 would load this export (tuned on NVIDIA H100 80GB HBM3) as their own, without "
                                      "benchmarking"));
        QCOMPARE(w[1], QStringLiteral("triton-cache: key 4096 on NVIDIA H200 (session %1): the exported configuration takes 1.50x the best that "
                                      "session found (3 ms against 2 ms)").arg(h200));
        QCOMPARE(w[2], QStringLiteral("triton-cache: key 4096 on NVIDIA GH200 480GB (session %1): the exported configuration fails there "
                                      "(compile_error)").arg(gh200));
        QCOMPARE(w[3], QStringLiteral("triton-cache: key 4096 on NVIDIA H800 (session %1): the exported configuration was never measured there").arg(h800));
    }

    void nothingMeasuredOnTheOthers()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("r.sqlite")));
        QVERIFY(store);
        const QStringList w = TritonCacheSharing::warnings(*store.value(), QStringLiteral("NVIDIA A100-PCIE-40GB"),
                                                           {SharedCacheEntry{1, QStringLiteral("k"), QStringLiteral("[1]"), config(32)}});
        QCOMPARE(w.size(), 2);
        QVERIFY2(w[0].contains(QLatin1String("(8.0)")) && w[0].contains(QLatin1String("A800, A30 would load this export")), qPrintable(w[0]));
        QVERIFY2(w[1].contains(QLatin1String("no session of the same kernel and problem on A800, A30")), qPrintable(w[1]));
        // A GPU missing from the table: said so, nothing guessed.
        const QStringList unknown = TritonCacheSharing::warnings(*store.value(), QStringLiteral("Some Future GPU"), {});
        QCOMPARE(unknown.size(), 1);
        QVERIFY(unknown[0].contains(QLatin1String("'Some Future GPU' is not in this program's table")));
    }
};

QTEST_GUILESS_MAIN(TestTritonCacheSharing)
#include "tst_tritoncachesharing.moc"

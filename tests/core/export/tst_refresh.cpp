// Refresh: the recipe behind `dejavu-tune refresh` on a result store with replay devices: the
// sources read from stored sessions and bundles, the kernel/space check, one new stored session
// per key, and the report (A's best on B, the new best, whether it changed).
#include "TestSupport.h"
#include "export/Bundle.h"
#include "export/Refresh.h"
#include "session/BestTrial.h"
#include "session/Session.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;
using namespace dv::test;

namespace {

const QString kRms = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows%1_N4096");

/// A bayes session of `budget` evaluations on `deviceId`, as a ladder key tuned on platform A.
qint64 tuned(ResultStore& store, const QString& deviceId, int budget, quint64 seed = 3)
{
    SessionOptions options;
    options.maxEvaluations = budget;
    options.seed = seed;
    auto session = Session::create(store, openDevice(deviceId), options);
    if (!session || !session.value()->run())
        qFatal("cannot tune %s", qPrintable(deviceId));
    return session.value()->id();
}

int sessionCount(ResultStore& store)
{
    auto list = store.sessions();
    return list ? int(list->size()) : -1;
}

} // namespace

class TestRefresh : public QObject {
    Q_OBJECT
private slots:
    // Same platform: every key keeps its best, confirmed within the seeds and the patience, one
    // new session per key with the refresh strategy; the neighbours' best are among the seeds.
    void sameGpuKeepsEveryBest()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("a.db"))).value();
        const QList<qint64> ids{tuned(*store, kRms.arg(256), 40), tuned(*store, kRms.arg(4096), 40)};
        auto sources = Refresh::fromStore(*store, QStringLiteral("a.db"), ids, 0);
        QVERIFY2(sources, qPrintable(sources.error()));
        QCOMPARE(sources->size(), 2);
        QCOMPARE(sources->at(1).key, 4096);
        QCOMPARE(sources->at(1).origin, QStringLiteral("a.db: session 2"));
        const RefreshSettings settings;
        const QJsonArray seeds = Refresh::strategyOptions(sources->at(1), sources.value(), settings)
                                     .value(QStringLiteral("seeds")).toArray();
        QCOMPARE(seeds.size(), settings.seedCount + 1);
        QCOMPARE(seeds.last().toObject(), BestTrial::of(sources->at(0).trials)->config); // key 256's best

        for (int i = 0; i < 2; ++i) {
            const QString id = kRms.arg(sources->at(i).key);
            auto row = Refresh::run(*store, openDevice(id), id, sources->at(i), sources.value(), settings);
            QVERIFY2(row, qPrintable(row.error()));
            QCOMPARE(row->sessionId, qint64(3 + i));
            QVERIFY(!row->changed);
            QVERIFY(row->oldBestOnB && row->oldBestOnB->isOk());
            QCOMPARE(row->oldBestOnB->objectiveMs, row->oldBestOnAMs);
            QCOMPARE(row->newBest->config, row->oldBestConfig);
            QCOMPARE(row->verdict.mode, RefreshVerdict::Mode::Transfer);
            QCOMPARE(row->ended, QStringLiteral("confirmed"));
            QVERIFY2(row->evaluations <= settings.seedCount + 1 + settings.patience, qPrintable(QString::number(row->evaluations)));
            auto record = store->session(row->sessionId);
            QCOMPARE(record->strategy, QStringLiteral("refresh"));
            QCOMPARE(record->trialCount, row->evaluations);
            QCOMPARE(record->device.id, id);
            const QJsonObject json = Refresh::json({row.value()}).first().toObject();
            QCOMPARE(json.value(QStringLiteral("changed")).toBool(), false);
            QCOMPARE(json.value(QStringLiteral("mode")).toString(), QStringLiteral("transfer"));
        }
        QVERIFY(Refresh::table({}).contains(QLatin1String("A's best here")));
    }

    // Another GPU: the H100 matmul tuned at 1024^3 refreshed at 4096^3 (A misleads: its best is
    // 1.5x B's) is noticed and searched cold; B's best is another configuration.
    void misleadingPlatformIsSearchedCold()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("a.db"))).value();
        const qint64 a = tuned(*store, QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024"), 60);
        auto sources = Refresh::fromStore(*store, QStringLiteral("a.db"), {a}, 0);
        QVERIFY(sources);
        const QString b = QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");
        RefreshSettings settings;
        settings.budget = 30;
        auto row = Refresh::run(*store, openDevice(b), b, sources->first(), sources.value(), settings);
        QVERIFY2(row, qPrintable(row.error()));
        QCOMPARE(row->verdict.mode, RefreshVerdict::Mode::Cold);
        QCOMPARE(row->evaluations, 30);
        QCOMPARE(row->ended, QStringLiteral("budget"));
        QVERIFY(row->changed);
        QVERIFY(BestTrial::rankingMs(*row->newBest) < row->oldBestOnB->objectiveMs);
    }

    // Cross-check (issue 16 item 5): each GPU's best few configurations timed on the other, in
    // both directions, and nothing else, whatever the agreement check says.
    void crossCheckMeasuresTheOldBestOnly()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("x.db"))).value();
        RefreshSettings settings;
        settings.crossCheck = true;
        settings.seedCount = 4;
        const QString a100 = QStringLiteral("replay:kerneltuner/convolution_A100"), w7800 = QStringLiteral("replay:kerneltuner/convolution_W7800");
        for (const auto& [from, to] : {std::pair{a100, w7800}, std::pair{w7800, a100}}) {
            auto sources = Refresh::fromRecorded({from}, 0);
            QVERIFY2(sources, qPrintable(sources.error()));
            auto row = Refresh::run(*store, openDevice(to), to, sources->first(), sources.value(), settings);
            QVERIFY2(row, qPrintable(row.error()));
            QCOMPARE(row->evaluations, 4);
            QCOMPARE(row->ended, QStringLiteral("cross-checked"));
            QCOMPARE(row->verdict.mode, RefreshVerdict::Mode::Cold); // another vendor: noticed, yet all four measured
            auto trials = store->trials(row->sessionId);
            const QVector<Trial> best = Refresh::bestOf(sources->first().trials, 4);
            for (int i = 0; i < 4; ++i)
                QCOMPARE(trials->at(i).config, best[i].config);
        }
        QCOMPARE(sessionCount(*store), 2);
    }

    void mismatch_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("another kernel") << QStringLiteral("replay:kerneltuner/convolution_A100") << QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096")
                                        << QStringList{QStringLiteral("kernel 'convolution_kernel'"), QStringLiteral("kernel 'triton_matmul_fp16_M4096_N4096_K4096'"),
                                                       QStringLiteral("parameters differ"), QStringLiteral("NVIDIA A100-PCIE-40GB"), QStringLiteral("NVIDIA H100")};
        QTest::newRow("rmsnorm on matmul") << kRms.arg(16) << QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024")
                                           << QStringList{QStringLiteral("triton_rmsnorm_fp16_rows16_N4096"), QStringLiteral("BLOCK,num_stages,num_warps")};
    }

    // A kernel or space that does not match B's workload is refused, naming both, before anything runs.
    void mismatch()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QStringList, expected);
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("a.db"))).value();
        auto sources = Refresh::fromStore(*store, QStringLiteral("a.db"), {tuned(*store, from, 8)}, 0);
        QVERIFY(sources);
        auto row = Refresh::run(*store, openDevice(to), to, sources->first(), sources.value(), RefreshSettings{});
        QVERIFY(!row);
        for (const QString& e : expected)
            QVERIFY2(row.error().contains(e), qPrintable(row.error()));
        QVERIFY2(row.error().contains(to), qPrintable(row.error()));
        QCOMPARE(sessionCount(*store), 1);
    }

    // Unknown sessions and sessions without trials are refused naming the store and the session.
    void badSessions()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("a.db"))).value();
        tuned(*store, kRms.arg(1), 5);
        auto unknown = Refresh::fromStore(*store, QStringLiteral("a.db"), {1, 7}, 0);
        QVERIFY(!unknown);
        QVERIFY2(unknown.error().contains(QLatin1String("a.db")) && unknown.error().contains(QLatin1String("session 7")), qPrintable(unknown.error()));
        SessionOptions options;
        options.maxEvaluations = 5;
        auto empty = Session::create(*store, openDevice(kRms.arg(1)), options); // created, never run
        QVERIFY(empty);
        auto none = Refresh::fromStore(*store, QStringLiteral("a.db"), {empty.value()->id()}, 0);
        QVERIFY(!none);
        QVERIFY2(none.error().contains(QLatin1String("session 2: the session has no trials")), qPrintable(none.error()));
    }

    // A bundle: its session members are the sources, keyed by the manifest; one without sessions,
    // or with several GPUs and none chosen, is refused naming the file and field.
    void bundles()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("a.db"))).value();
        const QVector<qint64> ids{tuned(*store, kRms.arg(16), 10), tuned(*store, kRms.arg(256), 10)};
        auto bundle = Bundle::fromSessions(*store, ids, 0, QStringLiteral("rmsnorm"), {});
        QVERIFY2(bundle, qPrintable(bundle.error()));
        auto sources = Refresh::fromBundle(bundle.value(), QStringLiteral("b.tar.gz"));
        QVERIFY2(sources, qPrintable(sources.error()));
        QCOMPARE(sources->size(), 2);
        QCOMPARE(sources->at(1).key, 256);
        QVERIFY(sources->at(1).origin.startsWith(QLatin1String("b.tar.gz: sessions/")));
        QCOMPARE(sources->at(1).trials.size(), 10);
        auto wrongGpu = Refresh::fromBundle(bundle.value(), QStringLiteral("b.tar.gz"), QStringLiteral("NVIDIA H200"));
        QVERIFY(!wrongGpu);
        QVERIFY2(wrongGpu.error().contains(QLatin1String("no session of GPU 'NVIDIA H200'")), qPrintable(wrongGpu.error()));

        Bundle empty = bundle.value();
        empty.manifest.entries.clear();
        auto none = Refresh::fromBundle(empty, QStringLiteral("e.tar.gz"));
        QVERIFY(!none);
        QVERIFY2(none.error().startsWith(QLatin1String("e.tar.gz: manifest.json: entries: the bundle holds no session")), qPrintable(none.error()));

        Bundle two = bundle.value();
        two.manifest.entries[1].gpu = QStringLiteral("NVIDIA H200");
        auto ambiguous = Refresh::fromBundle(two, QStringLiteral("t.tar.gz"));
        QVERIFY(!ambiguous);
        QVERIFY2(ambiguous.error().contains(QLatin1String("--from-gpu")), qPrintable(ambiguous.error()));
        QVERIFY(Refresh::fromBundle(two, QStringLiteral("t.tar.gz"), QStringLiteral("NVIDIA H200")));
    }
};

QTEST_GUILESS_MAIN(TestRefresh)
#include "tst_refresh.moc"

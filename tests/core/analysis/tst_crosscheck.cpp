// CrossCheck and PortabilityEstimate (issue 16 item 5): two stored sessions on replay devices
// sample the convolution space sparsely, so the portability matrix has nothing measured off its
// diagonal; the surrogate fills those cells with marked estimates; the cross-check measures each
// GPU's best few configurations on the other, and the matrix then holds the recorded times.
#include "TestSupport.h"
#include "analysis/CrossCheck.h"
#include "analysis/LandscapeSource.h"
#include "analysis/Portability.h"
#include "analysis/PortabilityEstimate.h"
#include "session/Session.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace dv;
using namespace dv::test;

namespace {

const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");
const QString kMi250x = QStringLiteral("replay:kerneltuner/convolution_MI250X");
const QString kW7800 = QStringLiteral("replay:kerneltuner/convolution_W7800");

/// A random session of `budget` evaluations: a sparse sample of the 4,362 configurations.
qint64 sampled(ResultStore& store, const QString& deviceId, int budget, quint64 seed)
{
    SessionOptions options;
    options.strategy = QStringLiteral("random");
    options.maxEvaluations = budget;
    options.seed = seed;
    auto session = Session::create(store, openDevice(deviceId), options);
    if (!session || !session.value()->run())
        qFatal("cannot tune %s", qPrintable(deviceId));
    return session.value()->id();
}

std::vector<Landscape> load(ResultStore& store, const QList<qint64>& ids)
{
    std::vector<Landscape> out;
    for (qint64 id : ids) {
        auto l = LandscapeSource::session(store, id);
        if (!l)
            qFatal("%s", qPrintable(l.error()));
        out.push_back(l.value());
    }
    return out;
}

int sessionCount(ResultStore& store)
{
    auto list = store.sessions();
    return list ? int(list->size()) : -1;
}

/// The recorded time of `config` on a dataset (the replay's whole landscape).
double recordedMs(const Landscape& full, const QJsonObject& config)
{
    const qint64 k = full.space.indexOf(config);
    return k >= 0 && full.isOk(k) ? full.objectiveMs[size_t(k)] : std::nan("");
}

} // namespace

class TestCrossCheck : public QObject {
    Q_OBJECT
private slots:
    void crossCheckFillsTwoSessionMatrix()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("x.db"))).value();
        const QList<qint64> ids{sampled(*store, kA100, 30, 1), sampled(*store, kMi250x, 30, 7)};
        std::vector<Landscape> before = load(*store, ids);
        auto m0 = Portability::compute(before);
        QVERIFY2(m0, qPrintable(m0.error()));
        // Neither session ran the other's best: unknown, not a failure.
        QVERIFY(m0->unmeasured(0, 1) && m0->unmeasured(1, 0));
        QVERIFY(!std::isfinite(m0->slowdown(0, 1)) && !std::isfinite(m0->slowdown(1, 0)));
        QVERIFY(Portability::spearman(before[0], before[1]).fewCommon());

        // Until measured: an estimate from the other GPU's surrogate, with its interval.
        const PortabilityEstimate e0 = PortabilityEstimate::compute(before, m0.value());
        QVERIFY(e0.any());
        for (auto [i, j] : {std::pair{0, 1}, std::pair{1, 0}}) {
            const EstimatedSlowdown& e = e0.at(i, j);
            QVERIFY2(e.isValid(), qPrintable(QStringLiteral("cell %1,%2").arg(i).arg(j)));
            QVERIFY(e.slowdown > 0 && e.low <= e.slowdown && e.slowdown <= e.high);
            QVERIFY(e.observations >= PortabilityEstimate::kMinObservations && e.observations <= 30);
        }
        QVERIFY(!e0.at(0, 0).isValid() && !e0.at(1, 1).isValid()); // the diagonal is measured

        auto plan = CrossCheck::plan(*store, before, ids, 3);
        QVERIFY2(plan, qPrintable(plan.error()));
        QCOMPARE(plan->size(), 2);
        for (const CrossCheckTarget& t : plan.value()) {
            QCOMPARE(t.configs.size(), 3);
            QCOMPARE(t.from, QStringList{before[size_t(1 - t.column)].name});
            // The first is the other session's best: the cell the matrix lacks.
            const Landscape& other = before[size_t(1 - t.column)];
            QCOMPARE(t.configs.first(), other.space.config(other.bestIndex()));
            QCOMPARE(t.storedDevice.id, t.column == 0 ? kA100 : kMi250x);
            QVERIFY(CrossCheck::describe(t).contains(t.storedDevice.id));
        }
        for (const CrossCheckTarget& t : plan.value()) {
            const QString device = t.column == 0 ? kA100 : kMi250x;
            auto ran = CrossCheck::run(*store, t, openDevice(device), device);
            QVERIFY2(ran, qPrintable(ran.error()));
            auto record = store->session(ran.value());
            QCOMPARE(record->strategy, QStringLiteral("refresh"));
            QCOMPARE(record->trialCount, 3);
            QCOMPARE(record->strategyOptions.value(QStringLiteral("crossCheckOf")).toInteger(), t.sessionId);
        }
        QCOMPARE(sessionCount(*store), 4);

        // The same two sessions compared again: the cross-checks are part of them.
        std::vector<Landscape> after = load(*store, ids);
        QVERIFY(after[0].name.endsWith(QLatin1String("+ cross-check 3")));
        auto m1 = Portability::compute(after);
        QVERIFY2(m1, qPrintable(m1.error()));
        const Landscape a100 = test::convolutionLandscape(QStringLiteral("A100"));
        const Landscape mi250x = test::convolutionLandscape(QStringLiteral("MI250X"));
        const std::vector<const Landscape*> full{&a100, &mi250x};
        for (auto [i, j] : {std::pair{0, 1}, std::pair{1, 0}}) {
            QVERIFY(!m1->unmeasured(i, j));
            QCOMPARE(m1->status(i, j), Status::Ok);
            // The recorded time of i's best on j over j's best (which may have moved: j now also
            // ran i's best few).
            const QJsonObject best = before[size_t(i)].space.config(before[size_t(i)].bestIndex());
            QCOMPARE(m1->bestKey(i), before[size_t(i)].space.key(before[size_t(i)].bestIndex()));
            QVERIFY(std::abs(m1->slowdown(i, j) - recordedMs(*full[size_t(j)], best) / m1->bestMs(j)) < 1e-9);
        }
        QCOMPARE(Portability::spearman(after[0], after[1]).count, Portability::spearman(before[0], before[1]).count + 6);
        // Nothing estimated any more, nothing left to cross-check.
        QVERIFY(!PortabilityEstimate::compute(after, m1.value()).any());
        auto again = CrossCheck::plan(*store, after, ids, 3);
        QVERIFY(again && again->isEmpty());
    }

    // A dataset measured everything; only the session gets a cross-check, and a dataset's column
    // needs no estimate.
    void datasetNeedsNoCrossCheck()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("x.db"))).value();
        const qint64 s = sampled(*store, kA100, 20, 2);
        std::vector<Landscape> ls{test::convolutionLandscape(QStringLiteral("MI250X")), load(*store, {s}).front()};
        auto m = Portability::compute(ls);
        QVERIFY(m);
        QVERIFY(std::isfinite(m->slowdown(1, 0))); // the session's best on the dataset: recorded
        QVERIFY(m->unmeasured(0, 1));
        const PortabilityEstimate e = PortabilityEstimate::compute(ls, m.value());
        QVERIFY(e.at(0, 1).isValid() && !e.at(1, 0).isValid());
        auto plan = CrossCheck::plan(*store, ls, {0, s}, 2);
        QVERIFY2(plan, qPrintable(plan.error()));
        QCOMPARE(plan->size(), 1);
        QCOMPARE(plan->first().sessionId, s);
        QCOMPARE(plan->first().configs.size(), 2);
    }

    // Too few measurements for a surrogate: no estimate rather than a wild one.
    void fewObservationsGiveNoEstimate()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("x.db"))).value();
        const QList<qint64> ids{sampled(*store, kA100, PortabilityEstimate::kMinObservations - 1, 1),
                                sampled(*store, kMi250x, 30, 7)};
        std::vector<Landscape> ls = load(*store, ids);
        auto m = Portability::compute(ls);
        QVERIFY(m && m->unmeasured(1, 0) && m->unmeasured(0, 1));
        const PortabilityEstimate e = PortabilityEstimate::compute(ls, m.value());
        QVERIFY(!e.at(1, 0).isValid()); // column 0 has 7 observations
        QVERIFY(e.at(0, 1).isValid());
    }

    // Another GPU than the session's is refused before anything is stored, naming both; so is a
    // problem it never ran.
    void deviceOfAnotherPlatformIsRefused()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("x.db"))).value();
        const QList<qint64> ids{sampled(*store, kA100, 20, 1), sampled(*store, kMi250x, 20, 7)};
        auto plan = CrossCheck::plan(*store, load(*store, ids), ids, 2);
        QVERIFY(plan && plan->size() == 2);
        const CrossCheckTarget& onA100 = plan->first();
        auto refused = CrossCheck::run(*store, onA100, openDevice(kW7800), kW7800);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("NVIDIA A100-PCIE-40GB")) && refused.error().contains(kW7800)
                     && refused.error().contains(QLatin1String("not the platform the session measured")),
                 qPrintable(refused.error()));
        const QString matmul = QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024");
        auto other = CrossCheck::run(*store, onA100, openDevice(matmul), matmul);
        QVERIFY(!other);
        QVERIFY2(other.error().contains(QLatin1String("kernel")), qPrintable(other.error()));
        QCOMPARE(sessionCount(*store), 2);
    }

    // A session that claims to cross-check another but ran on another GPU is not merged into it:
    // the option is data, the platform decides.
    void forgedCrossCheckIsNotMerged()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("x.db"))).value();
        const qint64 a = sampled(*store, kA100, 12, 1);
        SessionOptions options;
        options.strategy = QStringLiteral("random");
        options.strategyOptions = {{QStringLiteral("crossCheckOf"), double(a)}};
        options.maxEvaluations = 5;
        auto forged = Session::create(*store, openDevice(kW7800), options);
        QVERIFY(forged && forged.value()->run());
        auto record = store->session(a);
        auto merged = LandscapeSource::crossChecksOf(*store, record.value());
        QVERIFY(merged && merged->isEmpty());
        auto l = LandscapeSource::session(*store, a);
        QVERIFY(l && !l->name.contains(QLatin1String("cross-check")));
    }
};

QTEST_GUILESS_MAIN(TestCrossCheck)
#include "tst_crosscheck.moc"

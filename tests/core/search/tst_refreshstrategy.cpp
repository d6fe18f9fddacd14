// RefreshStrategy: the old best configurations first, the agreement check that trusts the old
// platform or starts cold, the patience stop, and a resume that proposes what an uninterrupted
// refresh would. On the recorded landscapes: the same GPU is confirmed within a handful of
// evaluations; another vendor's GPU is noticed, and the refresh finds B's optimum no later than a
// cold bayes search (median over seeds).
#include "StrategyTestSpace.h"
#include "TestSupport.h"
#include "export/Refresh.h"
#include "search/BayesianStrategy.h"
#include "search/RefreshStrategy.h"
#include "search/StrategyFactory.h"

#include <QJsonArray>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dv;
using namespace dv::test;

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

Landscape recorded(const QString& id)
{
    auto device = DeviceRegistry::openRecorded(id);
    if (!device)
        qFatal("cannot open %s: %s", qPrintable(id), qPrintable(device.error()));
    return Landscape::fromCache(device.value()->cache(), id);
}

/// A landscape as the stored trials of a ladder key tuned on it (every configuration measured).
RefreshSource sourceOf(const Landscape& a)
{
    RefreshSource s;
    s.origin = a.name;
    for (qint64 i = 0; i < a.size(); ++i) {
        Trial t;
        t.config = a.space.config(i);
        t.measurement.status = a.status[size_t(i)];
        t.measurement.objectiveMs = a.objectiveMs[size_t(i)];
        s.trials.append(t);
    }
    return s;
}

struct Outcome {
    int evaluations = 0;      // until the strategy stopped (or the budget)
    double evalsToWithin = kNever; // until the best was within 2% of B's optimum
    qint64 first = -1;
    std::vector<qint64> order;
    int seedsMeasured = 0; // refresh: the evaluations before the strategy left its seeds
    qint64 bestIndex = -1;
    RefreshVerdict verdict;
};

/// Runs `strategy` on landscape `b` until it stops or `budget` evaluations.
Outcome runOn(Strategy& strategy, const Landscape& b, quint64 seed, int budget)
{
    strategy.initialize(b.space, seed);
    SearchHistory history(b.size());
    Outcome out;
    double best = kNever;
    while (history.count() < budget) {
        const auto next = strategy.propose(history, 1);
        if (next.empty())
            break;
        const qint64 i = next.front();
        if (out.first < 0)
            out.first = i;
        out.order.push_back(i);
        if (auto* refresh = dynamic_cast<RefreshStrategy*>(&strategy); refresh && refresh->verdict(history).mode == RefreshVerdict::Mode::Seeds)
            out.seedsMeasured = history.count() + 1;
        history.add(Observation{i, b.status[size_t(i)], b.objectiveMs[size_t(i)]});
        if (b.isOk(i) && b.objectiveMs[size_t(i)] < best) {
            best = b.objectiveMs[size_t(i)];
            out.bestIndex = i;
        }
        if (best <= b.bestMs() * 1.02 && !std::isfinite(out.evalsToWithin))
            out.evalsToWithin = history.count();
    }
    out.evaluations = history.count();
    if (auto* refresh = dynamic_cast<RefreshStrategy*>(&strategy))
        out.verdict = refresh->verdict(history);
    return out;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

QJsonObject entry(const ConfigSpace& space, qint64 index, double ms)
{
    return QJsonObject{{QStringLiteral("config"), space.config(index)}, {QStringLiteral("objective"), ms > 0 ? QJsonValue(ms) : QJsonValue()}};
}

} // namespace

class TestRefreshStrategy : public QObject {
    Q_OBJECT
private slots:
    void sameGpuConfirmsOldBest_data()
    {
        QTest::addColumn<QString>("dataset");
        QTest::newRow("matmul 4096^3") << QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");
        QTest::newRow("rmsnorm 32768 rows") << QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows32768_N4096");
        QTest::newRow("convolution W7800") << QStringLiteral("replay:kerneltuner/convolution_W7800");
    }

    // A refresh on the platform the ladder was tuned on measures A's best first, trusts A, keeps
    // A's best and stops after the seeds and the patience: a handful of evaluations, not a search.
    void sameGpuConfirmsOldBest()
    {
        QFETCH(QString, dataset);
        const Landscape a = recorded(dataset);
        const RefreshSource source = sourceOf(a);
        const RefreshSettings settings;
        for (quint64 seed : {1, 2, 3}) {
            RefreshStrategy strategy(Refresh::strategyOptions(source, {source}, settings));
            const Outcome o = runOn(strategy, a, seed, 100);
            QCOMPARE(o.first, a.bestIndex());
            QCOMPARE(o.bestIndex, a.bestIndex());
            QCOMPARE(o.verdict.mode, RefreshVerdict::Mode::Transfer);
            QVERIFY(o.verdict.confirmed);
            QCOMPARE(o.verdict.spread, 1.0);
            QVERIFY2(o.evaluations <= settings.seedCount + settings.patience,
                     qPrintable(QStringLiteral("%1 evaluations").arg(o.evaluations)));
        }
    }

    // Another vendor's GPU: A's best configurations scatter on B, the refresh notices within the
    // seeds and then searches exactly as cold bayes does (its proposals after the seeds are cold
    // bayes's, the seeds hidden from the model), so it finds B's optimum (within 2%) no later than
    // cold bayes at budget 100 plus the seeds it measured to notice, median over seeds. Few seeds
    // to stay fast; bench/bench_refresh measures 20.
    void anotherVendorNoWorseThanCold()
    {
        const Landscape a = recorded(QStringLiteral("replay:kerneltuner/convolution_A100"));
        const Landscape b = recorded(QStringLiteral("replay:kerneltuner/convolution_W7800"));
        const RefreshSource source = sourceOf(a);
        const QJsonObject options = Refresh::strategyOptions(source, {source}, RefreshSettings{});
        std::vector<double> refresh, cold;
        double noticed = 0;
        for (quint64 seed : {1, 2, 3}) {
            RefreshStrategy r(options);
            const Outcome o = runOn(r, b, seed, 100);
            QCOMPARE(o.verdict.mode, RefreshVerdict::Mode::Cold);
            QVERIFY2(o.verdict.why.contains(QLatin1String("varies by")), qPrintable(o.verdict.why));
            QCOMPARE(o.evaluations, 100); // no patience stop when A misleads: the budget ends it
            refresh.push_back(o.evalsToWithin);
            BayesianStrategy c;
            const Outcome coldRun = runOn(c, b, seed, 100);
            cold.push_back(coldRun.evalsToWithin);
            noticed = std::max(noticed, double(o.seedsMeasured));
            QVERIFY2(o.seedsMeasured >= 2 && o.seedsMeasured <= RefreshSettings{}.seedCount, qPrintable(QString::number(o.seedsMeasured)));
            // After the seeds, cold bayes's own search (for its first 20 proposals here; later the hidden seeds, which it may not propose again, can change a pick).
            QCOMPARE(std::vector<qint64>(o.order.begin() + o.seedsMeasured, o.order.begin() + o.seedsMeasured + 20),
                     std::vector<qint64>(coldRun.order.begin(), coldRun.order.begin() + 20));
        }
        QVERIFY2(std::isfinite(median(cold)), "cold bayes should find the W7800's optimum within 100 evaluations");
        QVERIFY2(median(refresh) <= median(cold) + noticed,
                 qPrintable(QStringLiteral("refresh %1, cold %2").arg(median(refresh)).arg(median(cold))));
    }

    void agreementRule_data()
    {
        QTest::addColumn<QVector<double>>("onA");   // A's times of the seeds, in order (<= 0: failed on A)
        QTest::addColumn<QVector<double>>("onB");   // the times measured on B (<= 0: fails on B)
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("why");
        QTest::addColumn<int>("measured"); // seeds measured before the decision
        using M = RefreshVerdict::Mode;
        QTest::newRow("uniformly faster") << QVector<double>{1, 1.1, 1.2} << QVector<double>{0.8, 0.88, 0.96} << int(M::Transfer) << QStringLiteral("1.00x") << 3;
        QTest::newRow("within the factor") << QVector<double>{1, 1, 1} << QVector<double>{1, 1.2, 1.1} << int(M::Transfer) << QStringLiteral("1.20x") << 3;
        QTest::newRow("scattered") << QVector<double>{1, 1, 1} << QVector<double>{2, 1, 1.1} << int(M::Cold) << QStringLiteral("2.00x") << 2;
        QTest::newRow("A's best fails on B") << QVector<double>{1, 1.1, 1.2} << QVector<double>{-1, 1, 1} << int(M::Cold)
                                             << QStringLiteral("A's best configuration fails here") << 1;
        QTest::newRow("another seed fails on B") << QVector<double>{1, 1.1, 1.2} << QVector<double>{1, 1, -1} << int(M::Cold)
                                                 << QStringLiteral("fails here") << 3;
        QTest::newRow("a seed A never timed") << QVector<double>{1, 0, 1} << QVector<double>{1, 9, 1.05} << int(M::Transfer) << QStringLiteral("over 2") << 3;
        QTest::newRow("one timed seed") << QVector<double>{1} << QVector<double>{5} << int(M::Transfer) << QStringLiteral("fewer than two") << 1;
    }

    // The seeds are proposed first, in order; once all are measured the ratio rule decides.
    void agreementRule()
    {
        QFETCH(QVector<double>, onA);
        QFETCH(QVector<double>, onB);
        QFETCH(int, mode);
        QFETCH(QString, why);
        QFETCH(int, measured);
        const ConfigSpace space = bowlSpace();
        QJsonArray seeds, prior;
        for (int i = 0; i < onA.size(); ++i) {
            seeds.append(space.config(10 * i + 3));
            if (onA[i] > 0)
                prior.append(entry(space, 10 * i + 3, onA[i]));
        }
        RefreshStrategy strategy(QJsonObject{{QStringLiteral("seeds"), seeds}, {QStringLiteral("prior"), prior}});
        strategy.initialize(space, 1);
        SearchHistory history(space.size());
        int i = 0;
        for (; strategy.verdict(history).mode == RefreshVerdict::Mode::Seeds; ++i) {
            const auto next = strategy.propose(history, 1);
            QCOMPARE(next, std::vector<qint64>{10 * i + 3});
            history.add(onB[i] > 0 ? Observation{next.front(), Status::Ok, onB[i]} : Observation{next.front(), Status::RuntimeError, 0});
        }
        QCOMPARE(i, measured);
        const RefreshVerdict v = strategy.verdict(history);
        QCOMPARE(int(v.mode), mode);
        QVERIFY2(v.why.contains(why), qPrintable(v.why));
        QVERIFY(!strategy.propose(history, 1).empty());
    }

    void patience_data()
    {
        QTest::addColumn<QVector<double>>("after"); // times after the two seeds (1.0 and 1.1 ms)
        QTest::addColumn<bool>("confirmed");
        QTest::newRow("three without a gain") << QVector<double>{2, 3, 1.5} << true;
        QTest::newRow("two only") << QVector<double>{2, 3} << false;
        QTest::newRow("a gain within the tolerance does not restart") << QVector<double>{2, 0.995, 3} << true;
        QTest::newRow("a gain over the tolerance restarts") << QVector<double>{2, 0.9, 3} << false;
        QTest::newRow("failures count") << QVector<double>{-1, -1, -1} << true;
    }

    // Patience 3, tolerance 1%: after the seeds, three evaluations with no gain of more than 1%.
    void patience()
    {
        QFETCH(QVector<double>, after);
        QFETCH(bool, confirmed);
        const ConfigSpace space = bowlSpace();
        const QJsonObject options{{QStringLiteral("seeds"), QJsonArray{space.config(3), space.config(13)}},
                                  {QStringLiteral("prior"), QJsonArray{entry(space, 3, 2.0), entry(space, 13, 2.2)}},
                                  {QStringLiteral("patience"), 3}};
        RefreshStrategy strategy(options);
        strategy.initialize(space, 1);
        SearchHistory history(space.size());
        history.add(Observation{3, Status::Ok, 1.0});
        history.add(Observation{13, Status::Ok, 1.1});
        for (int i = 0; i < after.size(); ++i)
            history.add(after[i] > 0 ? Observation{qint64(100 + i), Status::Ok, after[i]} : Observation{qint64(100 + i), Status::CompileError, 0});
        QCOMPARE(strategy.verdict(history).confirmed, confirmed);
        QCOMPARE(strategy.propose(history, 1).empty(), confirmed);
    }

    // A resumed refresh (a new instance, the stored history and saveState) proposes what an
    // uninterrupted one would: in the seeds, and in the bayes phase.
    void resumeReproducesUninterruptedRun_data()
    {
        QTest::addColumn<int>("stopAt");
        QTest::newRow("in the seeds") << 1;
        QTest::newRow("in the search") << 9;
    }

    void resumeReproducesUninterruptedRun()
    {
        QFETCH(int, stopAt);
        const ConfigSpace space = bowlSpace();
        QJsonArray seeds, prior;
        for (qint64 i = 0; i < space.size(); i += 7)
            prior.append(entry(space, i, bowlObservation(space, i).ok() ? bowlObservation(space, i).objectiveMs * 1.3 : 0));
        seeds = QJsonArray{space.config(bowlOptimum(space)), space.config(5), space.config(40)};
        const QJsonObject options{{QStringLiteral("seeds"), seeds}, {QStringLiteral("prior"), prior}, {QStringLiteral("patience"), 0}};
        auto made = StrategyFactory::create(QStringLiteral("refresh"), options);
        QVERIFY(made);
        made.value()->initialize(space, 5);
        QStringList problems;
        const auto uninterrupted = runOnBowl(*made.value(), space, 20, 1, problems);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));

        RefreshStrategy first(options);
        first.initialize(space, 5);
        SearchHistory history;
        const auto head = runOnBowl(first, space, stopAt, 1, problems, &history);
        RefreshStrategy resumed(options);
        resumed.initialize(space, 5);
        QVERIFY(resumed.restoreState(first.saveState()));
        std::vector<qint64> order = head;
        while (int(order.size()) < 20) {
            const auto next = resumed.propose(history, 1);
            QCOMPARE(int(next.size()), 1);
            history.add(bowlObservation(space, next.front()));
            order.push_back(next.front());
        }
        QCOMPARE(order, uninterrupted);
    }
};

QTEST_GUILESS_MAIN(TestRefreshStrategy)
#include "tst_refreshstrategy.moc"

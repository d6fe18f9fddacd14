#include "device/DeviceRegistry.h"
#include "analysis/Landscape.h"
#include "analysis/StrategyBenchmark.h"
#include "device/ReplayDevice.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace dv;

namespace {

Landscape tiny(const std::vector<double>& times)
{
    Parameter p;
    p.name = QStringLiteral("x");
    std::vector<quint64> ordinals;
    for (size_t i = 0; i < times.size(); ++i) {
        p.values.append(int(i));
        ordinals.push_back(i);
    }
    Landscape l;
    l.name = QStringLiteral("tiny");
    l.space = ConfigSpace::fromOrdinals(QStringLiteral("tiny"), {p}, ordinals).value();
    for (double t : times) {
        l.status.push_back(std::isnan(t) ? Status::CompileError : Status::Ok);
        l.objectiveMs.push_back(t);
    }
    return l;
}

Landscape shipped(const QString& id)
{
    auto device = DeviceRegistry::open(id);
    auto* replay = dynamic_cast<ReplayDevice*>(device.value().get());
    return Landscape::fromCache(replay->cache(), id);
}

} // namespace

class TestStrategyBenchmark : public QObject {
    Q_OBJECT
private slots:
    // S_random(t) equals the brute-force average over every ordered draw of t distinct items.
    void expectedRandomBestIsExact()
    {
        const double nan = std::nan("");
        const Landscape l = tiny({5.0, 2.0, nan, 9.0, 3.0, nan});
        const auto expected = StrategyBenchmark::expectedRandomBest(l, 6);
        std::vector<int> perm = {0, 1, 2, 3, 4, 5};
        std::vector<double> sum(6, 0.0);
        int count = 0;
        do {
            double best = 9.0; // failures count as the worst valid time
            for (int t = 0; t < 6; ++t) {
                const double v = l.objectiveMs[size_t(perm[size_t(t)])];
                if (!std::isnan(v))
                    best = std::min(best, v);
                sum[size_t(t)] += best;
            }
            ++count;
        } while (std::next_permutation(perm.begin(), perm.end()));
        for (int t = 0; t < 6; ++t)
            QVERIFY2(std::abs(expected[size_t(t)] - sum[size_t(t)] / count) < 1e-12, qPrintable(QString::number(t)));
        QCOMPARE(expected[5], 2.0);
    }

    // Random search scores about zero against its own expectation; the optimum at once scores one.
    void randomSearchScoresAboutZero()
    {
        const Landscape l = shipped(QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"));
        auto scores = StrategyBenchmark::score(l, QStringLiteral("random"), {}, {50}, 400, 2);
        QVERIFY(scores);
        QVERIFY2(std::abs(scores->front().methodologyScore) < 0.08, qPrintable(QString::number(scores->front().methodologyScore)));
        const std::vector<std::vector<double>> perfect(3, std::vector<double>(50, l.bestMs()));
        const StrategyScore p = StrategyBenchmark::scoreCurves(l, perfect, 50);
        QCOMPARE(p.methodologyScore, 1.0);
        QCOMPARE(p.shareWithin5, 1.0);
        QCOMPARE(p.medianEvalsTo5, 1.0);
        QCOMPARE(p.meanBestOverOptimum, 1.0);
    }

    // --first-seed: the runs are those of seeds firstSeed.., so a second sample is independent of the first.
    void firstSeedSelectsTheRuns()
    {
        const Landscape l = shipped(QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"));
        auto offset = StrategyBenchmark::score(l, QStringLiteral("random"), {}, {20}, 4, 2, 11);
        QVERIFY(offset);
        std::vector<std::vector<double>> curves;
        for (quint64 seed = 11; seed <= 14; ++seed)
            curves.push_back(StrategyBenchmark::run(l, QStringLiteral("random"), {}, seed, 20).value());
        const StrategyScore want = StrategyBenchmark::scoreCurves(l, curves, 20);
        QCOMPARE(offset->front().meanBestOverOptimum, want.meanBestOverOptimum);
        QCOMPARE(offset->front().methodologyScore, want.methodologyScore);
        auto first = StrategyBenchmark::score(l, QStringLiteral("random"), {}, {20}, 4, 2);
        QVERIFY(first);
        QVERIFY(first->front().meanBestOverOptimum != offset->front().meanBestOverOptimum);
        QVERIFY(!StrategyBenchmark::score(l, QStringLiteral("random"), {}, {20}, 4, 2, 0));
    }

    // Conventions: before the first valid evaluation the best is the worst valid time; a run
    // that stops early keeps its best to the budget; failures count as evaluations.
    void runConventions()
    {
        const double nan = std::nan("");
        const Landscape l = tiny({nan, nan, 4.0, 1.0});
        auto curve = StrategyBenchmark::run(l, QStringLiteral("grid"), {}, 0, 6);
        QVERIFY(curve);
        const std::vector<double> want = {4.0, 4.0, 4.0, 1.0, 1.0, 1.0};
        QCOMPARE(curve.value(), want);
    }

    void medianEvaluationsAndShares()
    {
        const Landscape l = tiny({10.0, 1.0, 1.04, 1.2});
        // Reaches within 5% at evaluations 2, 3 and never; within 1% only the first.
        const std::vector<std::vector<double>> curves = {{10, 1.0, 1.0}, {10, 10, 1.04}, {10, 1.2, 1.2}};
        const StrategyScore s = StrategyBenchmark::scoreCurves(l, curves, 3);
        QCOMPARE(s.medianEvalsTo5, 3.0);
        QVERIFY(std::abs(s.shareWithin5 - 2.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(s.shareWithin1 - 1.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(s.meanBestOverOptimum - (1.0 + 1.04 + 1.2) / 3.0) < 1e-12);
    }
};

QTEST_GUILESS_MAIN(TestStrategyBenchmark)
#include "tst_strategybenchmark.moc"

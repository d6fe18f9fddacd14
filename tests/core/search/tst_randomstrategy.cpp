#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "search/RandomStrategy.h"
#include "search/SearchHistory.h"
#include "space/ConfigSpace.h"

#include <QTest>

#include <algorithm>
#include <numeric>
#include <set>

using namespace dv;
using namespace dv::test;

namespace {

ConfigSpace smallSpace(int n)
{
    Parameter p;
    p.name = QStringLiteral("v");
    for (int i = 0; i < n; ++i)
        p.values.append(i * 10);
    auto space = ConfigSpace::create(QStringLiteral("small"), {p}, {});
    if (!space)
        qFatal("small space: %s", qPrintable(space.error()));
    return space.value();
}

// The first `count` proposals (or all, count < 0) of a search that evaluates each proposal at once.
std::vector<qint64> sequence(const ConfigSpace& space, quint64 seed, qint64 count = -1, int batch = 1)
{
    RandomStrategy strategy;
    strategy.initialize(space, seed);
    SearchHistory history(space.size());
    std::vector<qint64> out;
    while (count < 0 || qint64(out.size()) < count) {
        const int want = count < 0 ? batch : int(std::min<qint64>(batch, count - qint64(out.size())));
        const std::vector<qint64> next = strategy.propose(history, want);
        if (next.empty())
            break;
        for (qint64 i : next) {
            out.push_back(i);
            history.add(Observation{i, i % 3 ? Status::Ok : Status::RuntimeError, double(i)});
        }
    }
    return out;
}

const QString kRmsnorm = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");
const QString kMatmul = QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");
const QString kPnpoly = QStringLiteral("replay:kerneltuner/pnpoly_RTX_3090");

} // namespace

class TestRandomStrategy : public QObject {
    Q_OBJECT

private slots:
    void sameSeedSameSequence_data();
    void sameSeedSameSequence();
    void differentSeedsDiffer();
    void neverRepeatsAndCoversTheSpace_data();
    void neverRepeatsAndCoversTheSpace();
    void skipsTakenIndices();
    void respectsMaxCount();
    void resumedSearchContinuesTheSameSequence_data();
    void resumedSearchContinuesTheSameSequence();
    void firstDrawIsRoughlyUniform();
    void orderIsRoughlyUniform();
};

void TestRandomStrategy::sameSeedSameSequence_data()
{
    QTest::addColumn<QString>("dataset");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("rmsnorm seed 0") << kRmsnorm << quint64(0);
    QTest::newRow("rmsnorm seed 7") << kRmsnorm << quint64(7);
    QTest::newRow("matmul seed 7") << kMatmul << quint64(7);
    QTest::newRow("matmul seed 2^63+5") << kMatmul << ((quint64(1) << 63) + 5);
    QTest::newRow("pnpoly seed 12345") << kPnpoly << quint64(12345);
}

void TestRandomStrategy::sameSeedSameSequence()
{
    QFETCH(QString, dataset);
    QFETCH(quint64, seed);
    const ConfigSpace space = datasetSpace(dataset);
    const auto a = sequence(space, seed);
    const auto b = sequence(space, seed);
    QCOMPARE(qint64(a.size()), space.size());
    QCOMPARE(a, b);
    // The batch size does not change the order.
    QCOMPARE(sequence(space, seed, -1, 13), a);
    // Re-initialising an instance restarts the same sequence.
    RandomStrategy s;
    s.initialize(space, seed);
    SearchHistory h(space.size());
    const auto first = s.propose(h, 10);
    s.initialize(space, seed);
    QCOMPARE(s.propose(h, 10), first);
    QCOMPARE(first, std::vector<qint64>(a.begin(), a.begin() + 10));
}

void TestRandomStrategy::differentSeedsDiffer()
{
    const ConfigSpace space = datasetSpace(kMatmul);
    std::set<std::vector<qint64>> seen;
    for (quint64 seed = 0; seed < 20; ++seed) {
        const auto s = sequence(space, seed, 20);
        QCOMPARE(int(s.size()), 20);
        QVERIFY2(seen.insert(s).second, qPrintable(QStringLiteral("seed %1 repeats another seed's first 20 draws").arg(seed)));
    }
    // Nor is the sequence the grid order.
    std::vector<qint64> grid(20);
    std::iota(grid.begin(), grid.end(), 0);
    QVERIFY(!seen.count(grid));
}

void TestRandomStrategy::neverRepeatsAndCoversTheSpace_data()
{
    QTest::addColumn<QString>("dataset");
    QTest::addColumn<int>("batch");
    QTest::newRow("rmsnorm, 1") << kRmsnorm << 1;
    QTest::newRow("matmul, 1") << kMatmul << 1;
    QTest::newRow("matmul, 10") << kMatmul << 10;
    QTest::newRow("pnpoly, 1") << kPnpoly << 1;
    QTest::newRow("convolution, 50") << QStringLiteral("replay:kerneltuner/convolution_W7800") << 50;
}

void TestRandomStrategy::neverRepeatsAndCoversTheSpace()
{
    QFETCH(QString, dataset);
    QFETCH(int, batch);
    const ConfigSpace space = datasetSpace(dataset);
    RandomStrategy strategy;
    strategy.initialize(space, 42);
    SearchHistory history(space.size());
    std::vector<qint64> drawn;
    while (true) {
        const auto next = strategy.propose(history, batch);
        if (next.empty())
            break;
        QVERIFY(int(next.size()) <= batch);
        for (qint64 i : next) {
            QVERIFY(i >= 0 && i < space.size());
            QVERIFY2(!history.isTaken(i), qPrintable(QStringLiteral("index %1 proposed twice").arg(i)));
            history.add(Observation{i, Status::Ok, 1.0});
            drawn.push_back(i);
        }
    }
    QCOMPARE(qint64(drawn.size()), space.size());
    std::vector<qint64> sorted = drawn;
    std::sort(sorted.begin(), sorted.end());
    for (qint64 i = 0; i < space.size(); ++i)
        QCOMPARE(sorted[size_t(i)], i);
    QVERIFY(strategy.propose(history, 1).empty());
    QVERIFY(strategy.propose(history, 5).empty());
}

void TestRandomStrategy::skipsTakenIndices()
{
    const ConfigSpace space = datasetSpace(kMatmul);
    const auto reference = sequence(space, 9);

    // Take (evaluated or pending) every 4th element of the reference sequence, and a few others.
    SearchHistory history(space.size());
    std::set<qint64> taken;
    for (size_t i = 0; i < reference.size(); i += 4) {
        if (i % 8)
            history.markPending(reference[i]);
        else
            history.add(Observation{reference[i], Status::Ok, 1.0});
        taken.insert(reference[i]);
    }
    std::vector<qint64> expected;
    for (qint64 i : reference)
        if (!taken.count(i))
            expected.push_back(i);

    RandomStrategy strategy;
    strategy.initialize(space, 9);
    std::vector<qint64> got;
    while (true) {
        const auto next = strategy.propose(history, 3);
        if (next.empty())
            break;
        for (qint64 i : next) {
            QVERIFY(!taken.count(i));
            history.add(Observation{i, Status::Ok, 1.0});
            got.push_back(i);
        }
    }
    QCOMPARE(got, expected);
}

void TestRandomStrategy::respectsMaxCount()
{
    const ConfigSpace space = smallSpace(10);
    RandomStrategy strategy;
    strategy.initialize(space, 3);
    SearchHistory history(space.size());
    QVERIFY(strategy.propose(history, 0).empty());
    const auto four = strategy.propose(history, 4);
    QCOMPARE(int(four.size()), 4);
    for (qint64 i : four)
        history.markPending(i);
    const auto rest = strategy.propose(history, 100);
    QCOMPARE(int(rest.size()), 6);
    std::set<qint64> all(four.begin(), four.end());
    all.insert(rest.begin(), rest.end());
    QCOMPARE(int(all.size()), 10);
    // Proposing more than the strategy had left never re-proposes.
    for (qint64 i : rest)
        history.markPending(i);
    QVERIFY(strategy.propose(history, 100).empty());
    // The sequence is the same as with single proposals.
    std::vector<qint64> joined = four;
    joined.insert(joined.end(), rest.begin(), rest.end());
    QCOMPARE(joined, sequence(space, 3));
}

void TestRandomStrategy::resumedSearchContinuesTheSameSequence_data()
{
    QTest::addColumn<QString>("dataset");
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("k");
    QTest::newRow("matmul, k=0") << kMatmul << quint64(7) << 0;
    QTest::newRow("matmul, k=1") << kMatmul << quint64(7) << 1;
    QTest::newRow("matmul, k=40") << kMatmul << quint64(7) << 40;
    QTest::newRow("matmul, k=383") << kMatmul << quint64(7) << 383;
    QTest::newRow("matmul, k=384") << kMatmul << quint64(7) << 384;
    QTest::newRow("rmsnorm, k=63") << kRmsnorm << quint64(1) << 63;
    QTest::newRow("pnpoly, k=1000") << kPnpoly << quint64(99) << 1000;
}

void TestRandomStrategy::resumedSearchContinuesTheSameSequence()
{
    QFETCH(QString, dataset);
    QFETCH(quint64, seed);
    QFETCH(int, k);
    const ConfigSpace space = datasetSpace(dataset);
    const auto uninterrupted = sequence(space, seed);
    QCOMPARE(qint64(uninterrupted.size()), space.size());

    // A fresh instance with the same seed, fed the first k observations (as a resumed session does).
    SearchHistory history(space.size());
    for (int i = 0; i < k; ++i)
        history.add(Observation{uninterrupted[size_t(i)], Status::Ok, double(i)});
    RandomStrategy resumed;
    resumed.initialize(space, seed);
    std::vector<qint64> continued;
    while (true) {
        const auto next = resumed.propose(history, 1);
        if (next.empty())
            break;
        continued.push_back(next.front());
        history.add(Observation{next.front(), Status::Ok, 1.0});
    }
    QCOMPARE(continued, std::vector<qint64>(uninterrupted.begin() + k, uninterrupted.end()));
}

void TestRandomStrategy::firstDrawIsRoughlyUniform()
{
    // The first proposal over 6000 fixed seeds on a 6-configuration space: each configuration
    // should come first about 1000 times. Chi-square with 5 degrees of freedom: 30 is far beyond
    // the 99.99th percentile (~25.7) yet catches any real bias (e.g. never or always index 0).
    const int n = 6, seeds = 6000;
    const ConfigSpace space = smallSpace(n);
    std::vector<int> counts(size_t(n), 0);
    for (int seed = 0; seed < seeds; ++seed) {
        RandomStrategy s;
        s.initialize(space, quint64(seed));
        const auto first = s.propose(SearchHistory(space.size()), 1);
        QCOMPARE(int(first.size()), 1);
        counts[size_t(first.front())]++;
    }
    const double expected = double(seeds) / n;
    double chi2 = 0;
    for (int c : counts)
        chi2 += (c - expected) * (c - expected) / expected;
    QVERIFY2(chi2 < 30.0, qPrintable(QStringLiteral("chi-square %1 for first-draw counts").arg(chi2)));
    for (int c : counts)
        QVERIFY(c > 0);
}

void TestRandomStrategy::orderIsRoughlyUniform()
{
    // Position of each configuration in the full permutation, over many seeds: each of the 5
    // configurations should land at each of the 5 positions about equally often (a biased
    // shuffle, like a naive swap with a random position in the whole array, fails this).
    const int n = 5, seeds = 5000;
    const ConfigSpace space = smallSpace(n);
    std::vector<std::vector<int>> counts(size_t(n), std::vector<int>(size_t(n), 0));
    for (int seed = 0; seed < seeds; ++seed) {
        const auto perm = sequence(space, quint64(seed) * 7919 + 1);
        QCOMPARE(int(perm.size()), n);
        for (int pos = 0; pos < n; ++pos)
            counts[size_t(perm[size_t(pos)])][size_t(pos)]++;
    }
    const double expected = double(seeds) / n;
    double chi2 = 0;
    for (const auto& row : counts)
        for (int c : row)
            chi2 += (c - expected) * (c - expected) / expected;
    // 16 degrees of freedom (a 5x5 table with fixed margins): 99.99th percentile ~ 42.
    QVERIFY2(chi2 < 50.0, qPrintable(QStringLiteral("chi-square %1 for position counts").arg(chi2)));
}

QTEST_GUILESS_MAIN(TestRandomStrategy)
#include "tst_randomstrategy.moc"

#include "search/GeneticStrategy.h"

#include "StrategyTestSpace.h"
#include "search/RandomStrategy.h"

#include <QTest>

#include <algorithm>
#include <numeric>
#include <set>

using namespace dv;
using namespace dv::test;

namespace {

// Evaluations until the optimum was evaluated (1-based), or budget + 1 if never.
qint64 evaluationsToOptimum(Strategy& strategy, const ConfigSpace& space, quint64 seed, qint64 budget)
{
    strategy.initialize(space, seed);
    QStringList problems;
    const std::vector<qint64> visited = runOnBowl(strategy, space, budget, 1, problems);
    const auto it = std::find(visited.begin(), visited.end(), bowlOptimum(space));
    return it == visited.end() ? budget + 1 : qint64(it - visited.begin()) + 1;
}

} // namespace

class TestGeneticStrategy : public QObject {
    Q_OBJECT

private slots:
    void proposesEachConfigurationOnceUntilExhausted_data();
    void proposesEachConfigurationOnceUntilExhausted();
    void sameSeedAndHistoryGiveTheSameProposals();
    void aResumedSearchContinuesTheSame();
    void seedsGiveDifferentSearches();
    void findsTheOptimumSoonerThanRandomSearch();
    void childrenStayNearTheBestOnceBred();
};

void TestGeneticStrategy::proposesEachConfigurationOnceUntilExhausted_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("batch");
    QTest::newRow("one at a time") << quint64(1) << 1;
    QTest::newRow("batches of 5") << quint64(2) << 5;
    QTest::newRow("batches larger than the population") << quint64(3) << 33;
}

void TestGeneticStrategy::proposesEachConfigurationOnceUntilExhausted()
{
    QFETCH(quint64, seed);
    QFETCH(int, batch);
    const ConfigSpace space = bowlSpace();
    GeneticStrategy genetic;
    genetic.initialize(space, seed);
    QStringList problems;
    const std::vector<qint64> visited = runOnBowl(genetic, space, space.size() + 10, batch, problems);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    QCOMPARE(qint64(visited.size()), space.size());
    QCOMPARE(qint64(std::set<qint64>(visited.begin(), visited.end()).size()), space.size());
    SearchHistory full(space.size());
    for (qint64 i : visited)
        full.add(bowlObservation(space, i));
    QVERIFY(genetic.propose(full, 4).empty()); // nothing left
}

void TestGeneticStrategy::sameSeedAndHistoryGiveTheSameProposals()
{
    const ConfigSpace space = bowlSpace();
    GeneticStrategy a, b;
    a.initialize(space, 42);
    b.initialize(space, 42);
    QStringList problems;
    SearchHistory history;
    const std::vector<qint64> visitedA = runOnBowl(a, space, 60, 3, problems, &history);
    const std::vector<qint64> visitedB = runOnBowl(b, space, 60, 3, problems);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    QCOMPARE(visitedA, visitedB);
    QCOMPARE(a.propose(history, 6), b.propose(history, 6));
}

void TestGeneticStrategy::aResumedSearchContinuesTheSame()
{
    // A strategy that never saw the first 45 evaluations proposes what the one that did proposes.
    const ConfigSpace space = bowlSpace();
    GeneticStrategy running;
    running.initialize(space, 7);
    QStringList problems;
    SearchHistory history;
    runOnBowl(running, space, 45, 1, problems, &history);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    GeneticStrategy resumed;
    resumed.initialize(space, 7);
    const std::vector<qint64> next = running.propose(history, 8);
    QCOMPARE(next.size(), size_t(8));
    QCOMPARE(resumed.propose(history, 8), next);
}

void TestGeneticStrategy::seedsGiveDifferentSearches()
{
    const ConfigSpace space = bowlSpace();
    QStringList problems;
    std::set<std::vector<qint64>> searches;
    for (quint64 seed : {1, 2, 3, 4}) {
        GeneticStrategy genetic;
        genetic.initialize(space, seed);
        searches.insert(runOnBowl(genetic, space, 40, 1, problems));
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    QCOMPARE(searches.size(), size_t(4));
}

void TestGeneticStrategy::findsTheOptimumSoonerThanRandomSearch()
{
    // On a smooth bowl, breeding from the best must beat sampling blindly: over 20 seeds, the
    // median number of evaluations until the optimum is found is lower than random search's.
    const ConfigSpace space = bowlSpace();
    std::vector<qint64> genetic, random;
    for (quint64 seed = 1; seed <= 20; ++seed) {
        GeneticStrategy g;
        RandomStrategy r;
        genetic.push_back(evaluationsToOptimum(g, space, seed, space.size()));
        random.push_back(evaluationsToOptimum(r, space, seed, space.size()));
    }
    std::sort(genetic.begin(), genetic.end());
    std::sort(random.begin(), random.end());
    const qint64 g = genetic[10], r = random[10];
    QVERIFY2(g < r, qPrintable(QStringLiteral("median evaluations to the optimum: genetic %1, random %2").arg(g).arg(r)));
}

void TestGeneticStrategy::childrenStayNearTheBestOnceBred()
{
    // After the first population, children are crossovers of the fittest (plus a mutation):
    // their mean distance from the optimum in value indices is smaller than the first
    // generation's, which is drawn at random.
    const ConfigSpace space = bowlSpace();
    const std::vector<int> optimum = space.valueIndices(bowlOptimum(space));
    auto distance = [&](qint64 i) {
        const std::vector<int> v = space.valueIndices(i);
        double d = 0;
        for (size_t k = 0; k < v.size(); ++k)
            d += std::abs(v[k] - optimum[k]);
        return d;
    };
    double first = 0, bred = 0;
    for (quint64 seed = 1; seed <= 10; ++seed) {
        GeneticStrategy genetic;
        genetic.initialize(space, seed);
        QStringList problems;
        const std::vector<qint64> visited = runOnBowl(genetic, space, 60, 1, problems);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
        QCOMPARE(visited.size(), size_t(60));
        for (size_t k = 0; k < 20; ++k)
            first += distance(visited[k]);
        for (size_t k = 40; k < 60; ++k)
            bred += distance(visited[k]);
    }
    QVERIFY2(bred < first, qPrintable(QStringLiteral("first generation %1, bred %2").arg(first).arg(bred)));
}

QTEST_GUILESS_MAIN(TestGeneticStrategy)
#include "tst_geneticstrategy.moc"

#include "search/LocalSearchStrategy.h"

#include "StrategyTestSpace.h"
#include "space/Neighbourhood.h"

#include <QTest>

#include <algorithm>
#include <set>

using namespace dv;
using namespace dv::test;

class TestLocalSearchStrategy : public QObject {
    Q_OBJECT

private slots:
    void proposesEachConfigurationOnceUntilExhausted_data();
    void proposesEachConfigurationOnceUntilExhausted();
    void proposesANeighbourOfTheBest_data();
    void proposesANeighbourOfTheBest();
    void walksDownTheBowlToItsOptimum();
    void aResumedSearchContinuesTheSame();
    void failuresAreNeverTheIncumbent();
};

void TestLocalSearchStrategy::proposesEachConfigurationOnceUntilExhausted_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("batch");
    QTest::newRow("one at a time") << quint64(1) << 1;
    QTest::newRow("batches of 4") << quint64(5) << 4;
    QTest::newRow("batches of 50") << quint64(9) << 50;
}

void TestLocalSearchStrategy::proposesEachConfigurationOnceUntilExhausted()
{
    QFETCH(quint64, seed);
    QFETCH(int, batch);
    const ConfigSpace space = bowlSpace();
    LocalSearchStrategy local;
    local.initialize(space, seed);
    QStringList problems;
    const std::vector<qint64> visited = runOnBowl(local, space, space.size() + 10, batch, problems);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    QCOMPARE(qint64(visited.size()), space.size());
    QCOMPARE(qint64(std::set<qint64>(visited.begin(), visited.end()).size()), space.size());
}

void TestLocalSearchStrategy::proposesANeighbourOfTheBest_data()
{
    // Histories given as (x, y, z) value indices; the first is the best.
    QTest::addColumn<QVector<QVector<int>>>("history");
    QTest::newRow("one evaluation") << QVector<QVector<int>>{{1, 1, 1}};
    QTest::newRow("best first of three") << QVector<QVector<int>>{{4, 2, 2}, {0, 0, 0}, {7, 4, 0}};
    QTest::newRow("best at an edge") << QVector<QVector<int>>{{0, 3, 2}, {0, 0, 3}};
}

void TestLocalSearchStrategy::proposesANeighbourOfTheBest()
{
    QFETCH(QVector<QVector<int>>, history);
    const ConfigSpace space = bowlSpace();
    const Neighbourhood neighbourhood(space);
    SearchHistory h(space.size());
    qint64 best = -1;
    for (const QVector<int>& v : history) {
        const qint64 index = neighbourhood.indexOf(std::vector<int>(v.begin(), v.end()));
        QVERIFY(index >= 0);
        h.add(bowlObservation(space, index));
        if (best < 0)
            best = index;
    }
    QCOMPARE(h.best()->index, best);
    const std::vector<qint64> adjacent = neighbourhood.adjacent(best);
    for (quint64 seed : {1, 2, 3}) {
        LocalSearchStrategy local;
        local.initialize(space, seed);
        const std::vector<qint64> next = local.propose(h, 3);
        QCOMPARE(next.size(), size_t(3));
        for (qint64 i : next)
            QVERIFY2(std::find(adjacent.begin(), adjacent.end(), i) != adjacent.end(),
                     qPrintable(QStringLiteral("seed %1: %2 is not adjacent to the best %3").arg(seed).arg(i).arg(best)));
    }
}

void TestLocalSearchStrategy::walksDownTheBowlToItsOptimum()
{
    // The bowl has a single basin: greedy steps from wherever the search starts reach the optimum
    // well before a quarter of the space is spent, for every seed.
    const ConfigSpace space = bowlSpace();
    const qint64 optimum = bowlOptimum(space);
    for (quint64 seed = 1; seed <= 10; ++seed) {
        LocalSearchStrategy local;
        local.initialize(space, seed);
        QStringList problems;
        const std::vector<qint64> visited = runOnBowl(local, space, space.size() / 4, 1, problems);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
        QVERIFY2(std::find(visited.begin(), visited.end(), optimum) != visited.end(),
                 qPrintable(QStringLiteral("seed %1 did not reach the optimum in %2 evaluations").arg(seed).arg(visited.size())));
    }
}

void TestLocalSearchStrategy::aResumedSearchContinuesTheSame()
{
    const ConfigSpace space = bowlSpace();
    LocalSearchStrategy running;
    running.initialize(space, 11);
    QStringList problems;
    SearchHistory history;
    runOnBowl(running, space, 30, 2, problems, &history);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    LocalSearchStrategy resumed;
    resumed.initialize(space, 11);
    QCOMPARE(resumed.propose(history, 5), running.propose(history, 5));
}

void TestLocalSearchStrategy::failuresAreNeverTheIncumbent()
{
    // A failed configuration next to nothing good must not become the point the search moves
    // around: with one success and failures elsewhere, proposals stay next to the success.
    const ConfigSpace space = bowlSpace();
    const Neighbourhood neighbourhood(space);
    const qint64 success = neighbourhood.indexOf({1, 1, 0});
    SearchHistory h(space.size());
    for (const std::vector<int>& v : {std::vector<int>{7, 0, 3}, std::vector<int>{6, 2, 3}}) {
        const qint64 failed = neighbourhood.indexOf(v);
        QVERIFY(failed >= 0);
        QVERIFY(!bowlObservation(space, failed).ok());
        h.add(bowlObservation(space, failed));
    }
    h.add(bowlObservation(space, success));
    const std::vector<qint64> adjacent = neighbourhood.adjacent(success);
    LocalSearchStrategy local;
    local.initialize(space, 3);
    for (qint64 i : local.propose(h, 4))
        QVERIFY(std::find(adjacent.begin(), adjacent.end(), i) != adjacent.end());
}

QTEST_GUILESS_MAIN(TestLocalSearchStrategy)
#include "tst_localsearchstrategy.moc"

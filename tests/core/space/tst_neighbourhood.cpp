// Neighbourhood: the moves local steps take (one- and two-parameter changes) within the valid set.
#include "TestSupport.h"
#include "space/ConfigSpace.h"
#include "space/Neighbourhood.h"

#include <QtTest>

#include <set>

using namespace dv;

namespace {

// Three ordinal tile sizes and a categorical layout; the constraints leave holes, so some
// two-parameter changes have no valid configuration between them (m = 64 goes with the tile layout
// and only with it).
ConfigSpace constrained()
{
    return test::layoutSpace(QStringLiteral("holes"), {QStringLiteral("m"), QStringLiteral("n"), QStringLiteral("k")}, 4, 16,
                             {QStringLiteral("m * n <= 4096"),
                              QStringLiteral("(m == 64 && layout == \"tile\") || (m != 64 && layout != \"tile\")")});
}

int differences(const ConfigSpace& space, qint64 a, qint64 b)
{
    const std::vector<int> x = space.valueIndices(a), y = space.valueIndices(b);
    int d = 0;
    for (size_t i = 0; i < x.size(); ++i)
        d += x[i] != y[i];
    return d;
}

std::set<qint64> atDistance(const ConfigSpace& space, qint64 from, int distance)
{
    std::set<qint64> out;
    for (qint64 i = 0; i < space.size(); ++i)
        if (differences(space, from, i) == distance)
            out.insert(i);
    return out;
}

} // namespace

class TestNeighbourhood : public QObject {
    Q_OBJECT

private slots:
    void hammingDistancesMatchBruteForce()
    {
        const ConfigSpace space = constrained();
        QVERIFY(space.size() > 20);
        QVERIFY(space.size() < 4 * 4 * 4 * 3); // the constraints removed some
        const Neighbourhood nb(space);
        int holesCrossed = 0;
        for (qint64 i = 0; i < space.size(); ++i) {
            const std::vector<qint64> one = nb.hamming(i), two = nb.hamming2(i);
            QCOMPARE(std::set<qint64>(one.begin(), one.end()), atDistance(space, i, 1));
            QCOMPARE(std::set<qint64>(two.begin(), two.end()), atDistance(space, i, 2));
            QCOMPARE(std::set<qint64>(two.begin(), two.end()).size(), two.size()); // no repeats
            // A two-parameter change both of whose one-parameter intermediates are invalid is still found.
            const std::set<qint64> oneSet(one.begin(), one.end());
            for (qint64 j : two) {
                bool viaValid = false;
                for (qint64 k : nb.hamming(j))
                    viaValid = viaValid || oneSet.count(k) > 0;
                holesCrossed += viaValid ? 0 : 1;
            }
        }
        QVERIFY(holesCrossed > 0);
    }

    void movesWidenOnlyOnceTheBestIsSurrounded()
    {
        const ConfigSpace space = constrained();
        const Neighbourhood nb(space);
        const qint64 best = space.indexOf(QJsonObject{{QStringLiteral("m"), 64}, {QStringLiteral("n"), 32},
                                                      {QStringLiteral("k"), 64}, {QStringLiteral("layout"), QStringLiteral("tile")}});
        const qint64 second = space.indexOf(QJsonObject{{QStringLiteral("m"), 16}, {QStringLiteral("n"), 16},
                                                        {QStringLiteral("k"), 16}, {QStringLiteral("layout"), QStringLiteral("col")}});
        QVERIFY(best >= 0 && second >= 0);
        const std::vector<qint64> ring = nb.hamming(best);
        QVERIFY(ring.size() > 2);

        // Some one-parameter change of the best is untaken: only one-parameter changes are offered.
        std::set<qint64> taken{best, second, ring[0]};
        auto isTaken = [&](qint64 i) { return taken.count(i) > 0; };
        std::vector<qint64> moves = nb.movesFrom({best, second}, isTaken);
        QVERIFY(std::is_sorted(moves.begin(), moves.end()));
        QCOMPARE(std::set<qint64>(moves.begin(), moves.end()).size(), moves.size());
        std::set<qint64> expected;
        for (qint64 from : {best, second})
            for (qint64 i : atDistance(space, from, 1))
                if (!isTaken(i))
                    expected.insert(i);
        QCOMPARE(std::set<qint64>(moves.begin(), moves.end()), expected);

        // Every one-parameter change of the best is measured: its untaken two-parameter changes join
        // (not those of the second best).
        taken.insert(ring.begin(), ring.end());
        moves = nb.movesFrom({best, second}, isTaken);
        expected.clear();
        for (qint64 i : atDistance(space, second, 1))
            if (!isTaken(i))
                expected.insert(i);
        const std::set<qint64> two = atDistance(space, best, 2);
        QVERIFY(!two.empty());
        for (qint64 i : two)
            if (!isTaken(i))
                expected.insert(i);
        QCOMPARE(std::set<qint64>(moves.begin(), moves.end()), expected);
        for (qint64 i : moves)
            QVERIFY(!isTaken(i));
        bool secondTwoOffered = false;
        for (qint64 i : atDistance(space, second, 2))
            secondTwoOffered = secondTwoOffered || (two.count(i) == 0 && std::count(moves.begin(), moves.end(), i) > 0);
        QVERIFY(!secondTwoOffered);

        // Nothing to start from: nothing offered.
        QVERIFY(nb.movesFrom({}, isTaken).empty());
    }
};

QTEST_GUILESS_MAIN(TestNeighbourhood)
#include "tst_neighbourhood.moc"

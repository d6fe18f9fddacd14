#include "search/Recombination.h"

#include "StrategyTestSpace.h"
#include "space/Neighbourhood.h"

#include <QTest>

#include <set>

using namespace dv;
using namespace dv::test;

class TestRecombination : public QObject {
    Q_OBJECT

private slots:
    void mutateChangesOneGeneMostlyByOneStep_data();
    void mutateChangesOneGeneMostlyByOneStep();
    void mutateMovesACategoricalParameterToAnotherValue();
    void childrenOfOneParentAreOftenTheParent();
    void childrenAreValidAndUntaken_data();
    void childrenAreValidAndUntaken();
    void nothingLeftGivesNoChild();
    void theSameSeedBreedsTheSameChild();
};

void TestRecombination::mutateChangesOneGeneMostlyByOneStep_data()
{
    QTest::addColumn<std::vector<int>>("genes");
    QTest::newRow("middle") << std::vector<int>{4, 3, 2};
    QTest::newRow("corner") << std::vector<int>{0, 0, 0};
    QTest::newRow("far corner") << std::vector<int>{7, 7, 3};
}

void TestRecombination::mutateChangesOneGeneMostlyByOneStep()
{
    QFETCH(std::vector<int>, genes);
    const Neighbourhood neighbourhood(bowlSpace());
    Rng rng(17);
    int changed = 0, oneStep = 0;
    for (int draw = 0; draw < 2000; ++draw) {
        std::vector<int> g = genes;
        Recombination::mutate(neighbourhood, g, rng);
        int differing = 0;
        for (size_t p = 0; p < g.size(); ++p) {
            QVERIFY(g[p] >= 0 && g[p] < neighbourhood.space().parameters()[int(p)].values.size());
            if (g[p] != genes[p]) {
                ++differing;
                oneStep += std::abs(g[p] - genes[p]) == 1 ? 1 : 0;
            }
        }
        QVERIFY(differing <= 1);
        changed += differing;
    }
    // Ordinal parameters step to a neighbouring value four times in five (a step off the end of the
    // list changes nothing, so at a corner about 70% of the changes are steps), otherwise jump to any
    // other value.
    QVERIFY2(changed > 1000, qPrintable(QString::number(changed)));
    QVERIFY2(oneStep > 0.6 * changed, qPrintable(QStringLiteral("%1 of %2").arg(oneStep).arg(changed)));
    QVERIFY2(oneStep < changed, "no jumps at all");
}

void TestRecombination::mutateMovesACategoricalParameterToAnotherValue()
{
    Parameter kind;
    kind.name = QStringLiteral("layout");
    kind.type = ParameterType::String;
    kind.values = {QStringLiteral("row"), QStringLiteral("col"), QStringLiteral("tiled"), QStringLiteral("swizzled")};
    auto space = ConfigSpace::create(QStringLiteral("one"), {kind}, {});
    QVERIFY2(space.ok(), qPrintable(space.error()));
    const Neighbourhood neighbourhood(space.value());
    Rng rng(3);
    std::set<int> reached;
    for (int draw = 0; draw < 300; ++draw) {
        std::vector<int> g{1};
        Recombination::mutate(neighbourhood, g, rng);
        QVERIFY(g[0] != 1); // always another value, never a step off the end
        reached.insert(g[0]);
    }
    QCOMPARE(reached, (std::set<int>{0, 2, 3}));
}

void TestRecombination::childrenOfOneParentAreOftenTheParent()
{
    // Crossover of a parent with itself changes nothing; each of the three genes mutates with
    // probability 1/3, so about (2/3)^3 + (some mutations off the edge) of children are the parent.
    const ConfigSpace space = bowlSpace();
    const Neighbourhood neighbourhood(space);
    const std::vector<int> parent{3, 3, 1};
    const qint64 parentIndex = neighbourhood.indexOf(parent);
    QVERIFY(parentIndex >= 0);
    Rng rng(5);
    int same = 0;
    for (int draw = 0; draw < 1000; ++draw) {
        const qint64 child = Recombination::child(neighbourhood, parent, parent, rng, [](qint64) { return false; });
        QVERIFY(child >= 0);
        same += child == parentIndex ? 1 : 0;
    }
    QVERIFY2(same > 250 && same < 450, qPrintable(QString::number(same)));
}

void TestRecombination::childrenAreValidAndUntaken_data()
{
    QTest::addColumn<int>("free"); // configurations left untaken
    QTest::newRow("most free") << 200;
    QTest::newRow("a few free") << 12;
    QTest::newRow("one free") << 1;
}

void TestRecombination::childrenAreValidAndUntaken()
{
    QFETCH(int, free);
    const ConfigSpace space = bowlSpace();
    const Neighbourhood neighbourhood(space);
    std::set<qint64> untaken;
    for (qint64 i = 0; i < free; ++i)
        untaken.insert((i * 37) % space.size());
    auto taken = [&](qint64 i) { return untaken.count(i) == 0; };
    Rng rng(11);
    int found = 0;
    for (int draw = 0; draw < 300; ++draw) {
        const std::vector<int> a = space.valueIndices(qint64(rng.below(quint64(space.size()))));
        const std::vector<int> b = space.valueIndices(qint64(rng.below(quint64(space.size()))));
        const qint64 child = Recombination::child(neighbourhood, a, b, rng, taken);
        if (child < 0)
            continue; // repair may fail: the caller falls back
        QVERIFY(child < space.size());
        QVERIFY2(!taken(child), qPrintable(QString::number(child)));
        ++found;
    }
    if (free >= 200)
        QVERIFY2(found > 290, qPrintable(QString::number(found)));
}

void TestRecombination::nothingLeftGivesNoChild()
{
    const ConfigSpace space = bowlSpace();
    const Neighbourhood neighbourhood(space);
    Rng rng(1);
    QCOMPARE(Recombination::child(neighbourhood, {1, 1, 1}, {5, 2, 0}, rng, [](qint64) { return true; }), qint64(-1));
}

void TestRecombination::theSameSeedBreedsTheSameChild()
{
    const ConfigSpace space = bowlSpace();
    const Neighbourhood neighbourhood(space);
    std::vector<qint64> first, second;
    for (std::vector<qint64>* out : {&first, &second}) {
        Rng rng(99);
        for (int k = 0; k < 50; ++k)
            out->push_back(Recombination::child(neighbourhood, {0, 7, 3}, {7, 0, 0}, rng, [](qint64) { return false; }));
    }
    QCOMPARE(first, second);
    QVERIFY(std::set<qint64>(first.begin(), first.end()).size() > 5);
}

QTEST_GUILESS_MAIN(TestRecombination)
#include "tst_recombination.moc"

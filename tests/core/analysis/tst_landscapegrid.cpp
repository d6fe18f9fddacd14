#include "TestSupport.h"
#include "analysis/Landscape.h"
#include "analysis/LandscapeGrid.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"

#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

Landscape shipped(const QString& gpu) { return dv::test::convolutionLandscape(gpu); }

// a in {0,1,2}, b in {0,1}, c in {0,1}; (a=2, b=1) excluded by the valid set.
Landscape small()
{
    QVector<Parameter> params(3);
    params[0] = {QStringLiteral("a"), ParameterType::Int, {0, 1, 2}};
    params[1] = {QStringLiteral("b"), ParameterType::Int, {0, 1}};
    params[2] = {QStringLiteral("c"), ParameterType::Int, {0, 1}};
    std::vector<quint64> ordinals;
    for (quint64 o = 0; o < 12; ++o) {
        if (o != 10 && o != 11) // a=2,b=1
            ordinals.push_back(o);
    }
    Landscape l;
    l.space = ConfigSpace::fromOrdinals(QStringLiteral("small"), params, ordinals).value();
    const double nan = std::nan("");
    // index: (a,b,c) in product order: 000 001 010 011 100 101 110 111 200 201
    const double t[] = {4, 3, nan, nan, 8, 2, 6, nan, 5, 7};
    for (double v : t) {
        l.status.push_back(std::isnan(v) ? Status::RuntimeError : Status::Ok);
        l.objectiveMs.push_back(v);
    }
    return l;
}

} // namespace

class TestLandscapeGrid : public QObject {
    Q_OBJECT
private slots:
    void smallLandscape()
    {
        auto g = LandscapeGrid::fromLandscape(small(), 0, 1);
        QVERIFY2(g.ok(), qPrintable(g.error()));
        QCOMPARE(g->columns(), 3);
        QCOMPARE(g->rows(), 2);
        QCOMPARE(g->cell(0, 0), LandscapeGrid::Cell::Ok);
        QCOMPARE(g->bestMs(0, 0), 3.0);
        QCOMPARE(g->bestIndex(0, 0), qint64(1));
        QCOMPARE(g->cell(0, 1), LandscapeGrid::Cell::Failed);
        QVERIFY(std::isnan(g->bestMs(0, 1)));
        QCOMPARE(g->bestMs(1, 0), 2.0);
        QCOMPARE(g->bestMs(1, 1), 6.0);
        QCOMPARE(g->bestMs(2, 0), 5.0);
        QCOMPARE(g->cell(2, 1), LandscapeGrid::Cell::Invalid);
        QCOMPARE(g->minMs(), 2.0);
        QCOMPARE(g->maxMs(), 6.0);
        QCOMPARE(g->count(LandscapeGrid::Cell::Ok), 4);
    }

    void fromTrialsMarksUnmeasured()
    {
        const Landscape l = small();
        QVector<Trial> trials;
        for (qint64 i : {qint64(4), qint64(2)}) {
            Trial t;
            t.config = l.space.config(i);
            t.configKey = l.space.key(i);
            t.spaceIndex = -1; // found by its configuration
            t.measurement.status = l.status[size_t(i)];
            t.measurement.objectiveMs = l.objectiveMs[size_t(i)];
            trials.append(t);
        }
        auto g = LandscapeGrid::fromTrials(l.space, trials, 0, 1).value();
        QCOMPARE(g.cell(1, 0), LandscapeGrid::Cell::Ok);
        QCOMPARE(g.bestMs(1, 0), 8.0);
        QCOMPARE(g.cell(0, 1), LandscapeGrid::Cell::Failed);
        QCOMPARE(g.cell(0, 0), LandscapeGrid::Cell::Unmeasured);
        QCOMPARE(g.cell(2, 1), LandscapeGrid::Cell::Invalid);
        QCOMPARE(g.minMs(), 8.0);
        // A failure after a success leaves the cell Ok; a faster success lowers it.
        g.add(5, Status::Ok, 2.0);
        g.add(4, Status::Timeout, std::nan(""));
        QCOMPARE(g.bestMs(1, 0), 2.0);
        QCOMPARE(g.maxMs(), 2.0);
    }

    void badParameters_data()
    {
        QTest::addColumn<int>("x");
        QTest::addColumn<int>("y");
        QTest::addColumn<QString>("message");
        QTest::newRow("same") << 1 << 1 << QStringLiteral("two different parameters (both are 'b')");
        QTest::newRow("range") << 0 << 3 << QStringLiteral("out of range (the space has 3 parameters)");
    }
    void badParameters()
    {
        QFETCH(int, x);
        QFETCH(int, y);
        QFETCH(QString, message);
        auto g = LandscapeGrid::fromLandscape(small(), x, y);
        QVERIFY(!g.ok());
        QVERIFY2(g.error().contains(message), qPrintable(g.error()));
    }

    // block_size_x (16 values) x block_size_y (5 values) on the A100: reference from Python.
    void convolutionA100()
    {
        const Landscape l = shipped(QStringLiteral("A100"));
        auto g = LandscapeGrid::fromLandscape(l, 0, 1).value();
        QCOMPARE(g.columns(), 16);
        QCOMPARE(g.rows(), 5);
        QCOMPARE(g.count(LandscapeGrid::Cell::Ok), 60);
        QCOMPARE(g.count(LandscapeGrid::Cell::Invalid), 20);
        QCOMPARE(g.count(LandscapeGrid::Cell::Failed), 0);
        QCOMPARE(g.minMs(), l.bestMs());
        QVERIFY(std::abs(g.maxMs() - 1.6407039798796177) < 1e-12);
        QVERIFY(std::abs(g.bestMs(0, 0) - 1.6370880268514156) < 1e-12); // (16, 1)
        QCOMPARE(g.cell(15, 4), LandscapeGrid::Cell::Invalid);          // (256, 16): 4096 threads
        // Every cell equals a brute-force minimum over the configurations with its two values.
        for (int c = 0; c < g.columns(); ++c) {
            for (int r = 0; r < g.rows(); ++r) {
                double best = HUGE_VAL;
                for (qint64 i = 0; i < l.size(); ++i) {
                    const QJsonObject cfg = l.space.config(i);
                    if (cfg.value(QStringLiteral("block_size_x")) == g.xValues()[c]
                        && cfg.value(QStringLiteral("block_size_y")) == g.yValues()[r] && l.isOk(i))
                        best = std::min(best, l.objectiveMs[size_t(i)]);
                }
                if (g.cell(c, r) == LandscapeGrid::Cell::Ok)
                    QCOMPARE(g.bestMs(c, r), best);
                else
                    QCOMPARE(best, HUGE_VAL);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestLandscapeGrid)
#include "tst_landscapegrid.moc"

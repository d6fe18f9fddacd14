#include "analysis/LandscapeGrid.h"
#include "analysis/Portability.h"
#include "analysis/TrialLandscape.h"

#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

ConfigSpace space()
{
    QVector<Parameter> params(2);
    params[0] = {QStringLiteral("a"), ParameterType::Int, {1, 2, 3}};
    params[1] = {QStringLiteral("b"), ParameterType::Int, {0, 1}};
    return ConfigSpace::create(QStringLiteral("t"), params, {}).value();
}

Trial trial(const ConfigSpace& s, qint64 index, Status status, double ms)
{
    Trial t;
    t.spaceIndex = index;
    t.config = s.config(index);
    t.configKey = s.key(index);
    t.measurement.status = status;
    t.measurement.objectiveMs = status == Status::Ok ? ms : std::nan("");
    return t;
}

} // namespace

class TestTrialLandscape : public QObject {
    Q_OBJECT
private slots:
    void fastestOkWinsFailuresStayUnlessOk()
    {
        const ConfigSpace s = space();
        QVector<Trial> trials{trial(s, 0, Status::Ok, 5.0), trial(s, 0, Status::Ok, 3.0), trial(s, 0, Status::Ok, 4.0),
                              trial(s, 1, Status::Timeout, 0), trial(s, 2, Status::CompileError, 0),
                              trial(s, 2, Status::Ok, 7.0), trial(s, 3, Status::Ok, 2.5)};
        // A trial whose index is stale is found by its configuration.
        Trial moved = trial(s, 4, Status::Ok, 9.0);
        moved.spaceIndex = 99;
        trials.append(moved);
        const Landscape l = TrialLandscape::build(QStringLiteral("session 3"), QStringLiteral("dev"), s, trials);
        QCOMPARE(l.size(), s.size());
        QCOMPARE(l.objectiveMs[0], 3.0);
        QCOMPARE(l.status[1], Status::Timeout);
        QVERIFY(std::isnan(l.objectiveMs[1]));
        QCOMPARE(l.status[2], Status::Ok);
        QCOMPARE(l.objectiveMs[2], 7.0);
        QCOMPARE(l.objectiveMs[4], 9.0);
        QCOMPARE(l.status[5], Status::Invalid); // never measured
        QCOMPARE(l.bestIndex(), qint64(3));
        QCOMPARE(l.name, QStringLiteral("session 3"));
    }

    // A session that measured only part of the space still compares: the other GPU's best shows
    // as not measured when the session never ran it.
    void comparesWithPortability()
    {
        const ConfigSpace s = space();
        const Landscape a = TrialLandscape::build(QStringLiteral("A"), {}, s,
                                                  {trial(s, 0, Status::Ok, 1.0), trial(s, 1, Status::Ok, 2.0)});
        const Landscape b = TrialLandscape::build(QStringLiteral("B"), {}, s,
                                                  {trial(s, 0, Status::Ok, 4.0), trial(s, 5, Status::Ok, 1.0)});
        const Portability p = Portability::compute({a, b}).value();
        QCOMPARE(p.slowdown(0, 1), 4.0);
        QCOMPARE(p.status(1, 0), Status::Invalid);
        QVERIFY(std::isnan(p.slowdown(1, 0)));
        // Never measured is said apart from "not in the dataset" and from a failure.
        QVERIFY(p.unmeasured(1, 0));
        QVERIFY(!p.unmeasured(0, 1));
        QVERIFY(!p.unmeasured(0, 0));
    }

    // Which configurations a session measured at all: a failure is measured, an untouched one not.
    void marksWhatWasMeasured()
    {
        const ConfigSpace s = space();
        const Landscape l = TrialLandscape::build(QStringLiteral("S"), {}, s,
                                                  {trial(s, 0, Status::Ok, 1.0), trial(s, 1, Status::Timeout, 0)});
        QVERIFY(l.isPartial());
        QVERIFY(l.isMeasured(0));
        QVERIFY(l.isMeasured(1));
        for (qint64 i = 2; i < s.size(); ++i)
            QVERIFY(!l.isMeasured(i));
    }

    // A session's heat map leaves the cells it never measured Unmeasured: they were drawn as
    // failures (orange) before.
    void gridLeavesUnmeasuredCellsEmpty()
    {
        const ConfigSpace s = space(); // a in {1, 2, 3} x b in {0, 1}: one configuration per cell
        const Landscape l = TrialLandscape::build(QStringLiteral("S"), {}, s,
                                                  {trial(s, 0, Status::Ok, 1.0), trial(s, 1, Status::Timeout, 0)});
        const LandscapeGrid g = LandscapeGrid::fromLandscape(l, 0, 1).value();
        QCOMPARE(g.count(LandscapeGrid::Cell::Ok), 1);
        QCOMPARE(g.count(LandscapeGrid::Cell::Failed), 1);
        QCOMPARE(g.count(LandscapeGrid::Cell::Unmeasured), 4);
    }

    // Two sessions of nine common configurations: a rank correlation, flagged as too few to trust.
    void fewCommonConfigurations_data()
    {
        QTest::addColumn<int>("common");
        QTest::addColumn<bool>("few");
        QTest::newRow("9") << 9 << true;
        QTest::newRow("19") << 19 << true;
        QTest::newRow("20") << 20 << false;
    }
    void fewCommonConfigurations()
    {
        QFETCH(int, common);
        QFETCH(bool, few);
        std::vector<double> x, y;
        for (int i = 0; i < common; ++i) {
            x.push_back(1.0 + i);
            y.push_back(1.0 + (i * 7) % common);
        }
        const RankCorrelation r = Portability::spearman(x, y);
        QCOMPARE(r.count, common);
        QVERIFY(std::isfinite(r.rho));
        QCOMPARE(r.fewCommon(), few);
    }
};

QTEST_GUILESS_MAIN(TestTrialLandscape)
#include "tst_triallandscape.moc"

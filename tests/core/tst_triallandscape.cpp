#include "Portability.h"
#include "TrialLandscape.h"

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
    }
};

QTEST_GUILESS_MAIN(TestTrialLandscape)
#include "tst_triallandscape.moc"

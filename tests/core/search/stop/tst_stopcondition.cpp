#include "search/stop/AllOf.h"
#include "search/stop/AnyOf.h"
#include "search/stop/EvaluationLimit.h"
#include "search/stop/NoImprovement.h"
#include "search/stop/TimeLimit.h"

#include <QtTest>

using namespace dv;

class TestStopCondition : public QObject {
    Q_OBJECT
private slots:
    void single_data()
    {
        QTest::addColumn<int>("kind"); // 0 evaluations, 1 time, 2 no improvement
        QTest::addColumn<int>("evaluations");
        QTest::addColumn<double>("seconds");
        QTest::addColumn<int>("stall");
        QTest::addColumn<QString>("reason");
        QTest::newRow("evals below") << 0 << 9 << 100.0 << 9 << QString();
        QTest::newRow("evals at") << 0 << 10 << 0.0 << 0 << QStringLiteral("budget");
        QTest::newRow("time below") << 1 << 1000 << 4.99 << 1000 << QString();
        QTest::newRow("time at") << 1 << 0 << 5.0 << 0 << QStringLiteral("time limit");
        QTest::newRow("stall below") << 2 << 1000 << 1000.0 << 19 << QString();
        QTest::newRow("stall at") << 2 << 0 << 0.0 << 20 << QStringLiteral("no improvement");
    }
    void single()
    {
        QFETCH(int, kind);
        QFETCH(int, evaluations);
        QFETCH(double, seconds);
        QFETCH(int, stall);
        QFETCH(QString, reason);
        std::unique_ptr<StopCondition> c;
        if (kind == 0)
            c = std::make_unique<EvaluationLimit>(10);
        else if (kind == 1)
            c = std::make_unique<TimeLimit>(5.0);
        else
            c = std::make_unique<NoImprovement>(20);
        const auto got = c->check(StopContext{evaluations, seconds, stall});
        QCOMPARE(got.value_or(QString()), reason);
        QVERIFY(!c->describe().isEmpty());
    }

    void combinations()
    {
        AnyOf any;
        QVERIFY(!any.check(StopContext{1000, 1000, 1000}));
        any.add(std::make_unique<EvaluationLimit>(100));
        any.add(std::make_unique<NoImprovement>(20));
        QVERIFY(!any.check(StopContext{50, 0, 10}));
        QCOMPARE(*any.check(StopContext{50, 0, 20}), QStringLiteral("no improvement"));
        QCOMPARE(*any.check(StopContext{100, 0, 0}), QStringLiteral("budget"));
        QCOMPARE(any.describe(), QStringLiteral("100 evaluations or no improvement in 20 evaluations"));

        AllOf all; // at least 50 evaluations and a stall of 20
        all.add(std::make_unique<EvaluationLimit>(50));
        all.add(std::make_unique<NoImprovement>(20));
        QVERIFY(!all.check(StopContext{40, 0, 30}));
        QVERIFY(!all.check(StopContext{60, 0, 5}));
        QCOMPARE(*all.check(StopContext{60, 0, 25}), QStringLiteral("budget and no improvement"));
    }
};

QTEST_GUILESS_MAIN(TestStopCondition)
#include "tst_stopcondition.moc"

#include "search/SearchHistory.h"

#include <QTest>

#include <limits>

using namespace dv;

Q_DECLARE_METATYPE(dv::Status)

namespace {

struct Step {
    qint64 index;
    Status status;
    double objective;
};

} // namespace

Q_DECLARE_METATYPE(QVector<Step>)

class TestSearchHistory : public QObject {
    Q_OBJECT

private slots:
    void emptyHistory();
    void best_data();
    void best();
    void pendingVersusEvaluated();
    void counts();
    void observationsKeepTheirOrder();
};

void TestSearchHistory::emptyHistory()
{
    SearchHistory h(10);
    QCOMPARE(h.count(), 0);
    QCOMPARE(h.takenCount(), qint64(0));
    QCOMPARE(h.spaceSize(), qint64(10));
    QVERIFY(!h.best().has_value());
    QVERIFY(h.observations().empty());
    for (qint64 i = 0; i < 10; ++i) {
        QVERIFY(!h.isTaken(i));
        QVERIFY(!h.isEvaluated(i));
    }
    SearchHistory none;
    QCOMPARE(none.spaceSize(), qint64(0));
    QVERIFY(!none.best().has_value());
}

void TestSearchHistory::best_data()
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    QTest::addColumn<QVector<Step>>("steps");
    QTest::addColumn<qint64>("bestIndex"); // -1: no best
    QTest::addColumn<double>("bestObjective");

    QTest::newRow("single ok") << QVector<Step>{{3, Status::Ok, 2.5}} << qint64(3) << 2.5;
    QTest::newRow("lowest wins") << QVector<Step>{{0, Status::Ok, 3.0}, {1, Status::Ok, 1.0}, {2, Status::Ok, 2.0}}
                                 << qint64(1) << 1.0;
    QTest::newRow("improves at the end") << QVector<Step>{{0, Status::Ok, 3.0}, {1, Status::Ok, 2.0}, {2, Status::Ok, 0.5}}
                                         << qint64(2) << 0.5;
    QTest::newRow("tie keeps the first") << QVector<Step>{{4, Status::Ok, 1.0}, {5, Status::Ok, 1.0}} << qint64(4) << 1.0;
    QTest::newRow("failures never best, whatever their number")
        << QVector<Step>{{0, Status::CompileError, 0.0}, {1, Status::Ok, 5.0}, {2, Status::Timeout, -1.0},
                         {3, Status::WrongResult, 0.1}, {4, Status::Crashed, 0.0}, {5, Status::RuntimeError, 0.0},
                         {6, Status::Invalid, 0.0}}
        << qint64(1) << 5.0;
    QTest::newRow("only failures") << QVector<Step>{{0, Status::CompileError, 0.0}, {1, Status::RuntimeError, 1.0}}
                                   << qint64(-1) << 0.0;
    // An ok status with no usable time (Measurement::isOk() is false for it) must not become
    // the best, nor hide a later real best.
    QTest::newRow("ok with NaN first") << QVector<Step>{{0, Status::Ok, nan}, {1, Status::Ok, 4.0}, {2, Status::Ok, 3.0}}
                                       << qint64(2) << 3.0;
    QTest::newRow("ok with infinity") << QVector<Step>{{0, Status::Ok, inf}, {1, Status::Ok, 9.0}} << qint64(1) << 9.0;
    QTest::newRow("ok with NaN only") << QVector<Step>{{0, Status::Ok, nan}} << qint64(-1) << 0.0;
}

void TestSearchHistory::best()
{
    QFETCH(QVector<Step>, steps);
    QFETCH(qint64, bestIndex);
    QFETCH(double, bestObjective);
    SearchHistory h(16);
    for (const Step& s : steps)
        h.add(Observation{s.index, s.status, s.objective});
    const auto best = h.best();
    if (bestIndex < 0) {
        QVERIFY(!best.has_value());
        return;
    }
    QVERIFY(best.has_value());
    QCOMPARE(best->index, bestIndex);
    QCOMPARE(best->objectiveMs, bestObjective);
    QCOMPARE(best->status, Status::Ok);
    QVERIFY(best->ok());
}

void TestSearchHistory::pendingVersusEvaluated()
{
    SearchHistory h(8);
    h.markPending(3);
    QVERIFY(h.isTaken(3));
    QVERIFY(!h.isEvaluated(3));
    QCOMPARE(h.takenCount(), qint64(1));
    QCOMPARE(h.count(), 0);
    QVERIFY(!h.best().has_value());

    // Marking again changes nothing.
    h.markPending(3);
    QCOMPARE(h.takenCount(), qint64(1));

    // The pending evaluation finishes.
    h.add(Observation{3, Status::Ok, 1.5});
    QVERIFY(h.isTaken(3));
    QVERIFY(h.isEvaluated(3));
    QCOMPARE(h.takenCount(), qint64(1));
    QCOMPARE(h.count(), 1);

    // An evaluated configuration never goes back to pending.
    h.markPending(3);
    QVERIFY(h.isEvaluated(3));
    QCOMPARE(h.takenCount(), qint64(1));

    // Added without having been pending.
    h.add(Observation{5, Status::CompileError, 0});
    QVERIFY(h.isTaken(5));
    QVERIFY(h.isEvaluated(5));
    QCOMPARE(h.takenCount(), qint64(2));

    for (qint64 i : {0, 1, 2, 4, 6, 7}) {
        QVERIFY(!h.isTaken(i));
        QVERIFY(!h.isEvaluated(i));
    }
}

void TestSearchHistory::counts()
{
    SearchHistory h(100);
    for (qint64 i = 0; i < 30; ++i)
        h.markPending(i);
    for (qint64 i = 0; i < 10; ++i)
        h.add(Observation{i, Status::Ok, double(100 - i)});
    for (qint64 i = 50; i < 55; ++i)
        h.add(Observation{i, Status::RuntimeError, 0});
    QCOMPARE(h.count(), 15);
    QCOMPARE(int(h.observations().size()), 15);
    QCOMPARE(h.takenCount(), qint64(35));
    QCOMPARE(h.spaceSize(), qint64(100));
    int evaluated = 0, taken = 0;
    for (qint64 i = 0; i < 100; ++i) {
        evaluated += h.isEvaluated(i) ? 1 : 0;
        taken += h.isTaken(i) ? 1 : 0;
    }
    QCOMPARE(evaluated, 15);
    QCOMPARE(taken, 35);
    QCOMPARE(h.best()->index, qint64(9));
    QCOMPARE(h.best()->objectiveMs, 91.0);
}

void TestSearchHistory::observationsKeepTheirOrder()
{
    SearchHistory h(10);
    const QVector<Step> steps{{7, Status::Ok, 3}, {2, Status::Timeout, 0}, {9, Status::Ok, 1}, {0, Status::Crashed, 0}};
    for (const Step& s : steps)
        h.add(Observation{s.index, s.status, s.objective});
    QCOMPARE(int(h.observations().size()), steps.size());
    for (int i = 0; i < steps.size(); ++i) {
        QCOMPARE(h.observations()[size_t(i)].index, steps[i].index);
        QCOMPARE(h.observations()[size_t(i)].status, steps[i].status);
        QCOMPARE(h.observations()[size_t(i)].ok(), steps[i].status == Status::Ok);
    }
    QCOMPARE(h.best()->index, qint64(9));
}

QTEST_GUILESS_MAIN(TestSearchHistory)
#include "tst_searchhistory.moc"

#include "analysis/BestSoFar.h"

#include <QtTest>

#include <cmath>

using namespace dv;

namespace {
Trial trial(int sequence, double ms)
{
    Trial t;
    t.sequence = sequence;
    t.measurement = std::isnan(ms) ? Measurement::failure(Status::CompileError, QStringLiteral("x")) : Measurement{};
    if (!std::isnan(ms)) {
        t.measurement.status = Status::Ok;
        t.measurement.objectiveMs = ms;
    }
    return t;
}
} // namespace

class TestBestSoFar : public QObject {
    Q_OBJECT
private slots:
    void curve()
    {
        const double nan = std::nan("");
        const QVector<Trial> trials = {trial(1, nan), trial(2, 5), trial(3, 7), trial(4, nan), trial(5, 2), trial(6, 3)};
        const BestSoFar b = BestSoFar::fromTrials(trials);
        QCOMPARE(b.curve().size(), size_t(6));
        QVERIFY(std::isnan(b.curve()[0]));
        const std::vector<double> rest(b.curve().begin() + 1, b.curve().end());
        QCOMPARE(rest, (std::vector<double>{5, 5, 5, 2, 2}));
        QCOMPARE(b.best(), 2.0);
        QCOMPARE(b.bestSequence(), 5);
        QCOMPARE(b.improvements(), (std::vector<int>{1, 4}));
    }

    void beforeFirstOk()
    {
        BestSoFar b(9.0);
        b.add(trial(1, std::nan("")));
        b.add(trial(2, 10.0)); // slower than the placeholder still becomes the first real best
        QCOMPARE(b.curve(), (std::vector<double>{9.0, 10.0}));
        QCOMPARE(b.bestSequence(), 2);
    }

    void empty()
    {
        const BestSoFar b;
        QVERIFY(b.curve().empty());
        QVERIFY(std::isnan(b.best()));
        QCOMPARE(b.bestSequence(), 0);
    }
};

QTEST_GUILESS_MAIN(TestBestSoFar)
#include "tst_bestsofar.moc"

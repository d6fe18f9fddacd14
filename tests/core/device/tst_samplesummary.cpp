#include "device/SampleSummary.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace dv;

class TestSampleSummary : public QObject {
    Q_OBJECT
private slots:
    void quantiles_data()
    {
        QTest::addColumn<QVector<double>>("samples");
        QTest::addColumn<int>("count");
        QTest::addColumn<double>("p20");
        QTest::addColumn<double>("median");
        QTest::addColumn<double>("p80");
        // numpy.percentile([1, 2, 4, 10], [20, 50, 80]) = 1.6, 3.0, 6.4
        QTest::newRow("four") << QVector<double>{10, 1, 4, 2} << 4 << 1.6 << 3.0 << 6.4;
        QTest::newRow("one") << QVector<double>{0.5} << 1 << 0.5 << 0.5 << 0.5;
        // NaN and infinity (a lost sample) are left out rather than poisoning the order.
        QTest::newRow("non-finite ignored")
            << QVector<double>{2, std::numeric_limits<double>::quiet_NaN(), 1, std::numeric_limits<double>::infinity(), 4, 10}
            << 4 << 1.6 << 3.0 << 6.4;
    }
    void quantiles()
    {
        QFETCH(QVector<double>, samples);
        QFETCH(int, count);
        QFETCH(double, p20);
        QFETCH(double, median);
        QFETCH(double, p80);
        const SampleSummary s = SampleSummary::of(samples);
        QCOMPARE(s.count, count);
        QVERIFY(std::abs(s.p20Ms - p20) < 1e-12);
        QVERIFY(std::abs(s.medianMs - median) < 1e-12);
        QVERIFY(std::abs(s.p80Ms - p80) < 1e-12);
        QVERIFY(std::abs(s.relativeSpread - (p80 - p20) / median) < 1e-12);
    }
    void extremes()
    {
        const SampleSummary s = SampleSummary::of({3, 9, 1});
        QCOMPARE(s.minMs, 1.0);
        QCOMPARE(s.maxMs, 9.0);
    }
    void mean()
    {
        const SampleSummary s = SampleSummary::of({3, 9, 1, 3});
        QCOMPARE(s.meanMs, 4.0);
        QVERIFY(std::isnan(SampleSummary::of({}).meanMs));
    }

    // Which statistic an objective is, so the trial detail can say what the search ranked by.
    void statisticOf_data()
    {
        QTest::addColumn<QVector<double>>("samples");
        QTest::addColumn<double>("objective");
        QTest::addColumn<int>("statistic");
        using S = SampleSummary::Statistic;
        // A worker sends the median (docs/worker-protocol.md).
        QTest::newRow("median") << QVector<double>{1, 2, 9} << 2.0 << int(S::Median);
        // A Kernel Tuner cache records the mean as "time".
        QTest::newRow("mean") << QVector<double>{1, 2, 9} << 4.0 << int(S::Mean);
        // Through JSON and SQLite the mean may differ in the last bits.
        QTest::newRow("mean, rounded") << QVector<double>{0.1, 0.2, 0.4} << 0.23333333333333334 << int(S::Mean);
        QTest::newRow("symmetric: median") << QVector<double>{1, 2, 3} << 2.0 << int(S::Median);
        QTest::newRow("one sample") << QVector<double>{1.5} << 1.5 << int(S::Single);
        QTest::newRow("neither") << QVector<double>{1, 2, 9} << 1.5 << int(S::Other);
        QTest::newRow("no samples") << QVector<double>{} << 1.5 << int(S::Other);
    }
    void statisticOf()
    {
        QFETCH(QVector<double>, samples);
        QFETCH(double, objective);
        QFETCH(int, statistic);
        QCOMPARE(int(SampleSummary::of(samples).statisticOf(objective)), statistic);
    }

    void empty()
    {
        const SampleSummary s = SampleSummary::of({});
        QCOMPARE(s.count, 0);
        QVERIFY(std::isnan(s.medianMs));
        QVERIFY(std::isnan(s.p20Ms));
        QVERIFY(std::isnan(s.relativeSpread));
    }
};

QTEST_GUILESS_MAIN(TestSampleSummary)
#include "tst_samplesummary.moc"

#include "SampleSummary.h"

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

#include "base/Statistics.h"

#include <QtTest>

#include <cmath>
#include <vector>

using namespace dv;

namespace {

bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

} // namespace

// The one quantile behind worker summaries, parameter effects, Triton cache timings and remeasured
// medians (it was written three times: WorkerProtocol, ParameterEffects, TritonCacheExporter).
class TestStatistics : public QObject {
    Q_OBJECT

private slots:
    void quantileOfSorted_data()
    {
        QTest::addColumn<QVector<double>>("values");
        QTest::addColumn<double>("q");
        QTest::addColumn<double>("expected");
        QTest::newRow("median odd") << QVector<double>{1, 2, 10} << 0.5 << 2.0;
        QTest::newRow("median even") << QVector<double>{1, 2, 4, 10} << 0.5 << 3.0;
        QTest::newRow("p80") << QVector<double>{1, 2, 4, 10} << 0.8 << 6.4; // 2.4 -> 4 + 0.4 * 6
        QTest::newRow("single") << QVector<double>{7} << 0.8 << 7.0;
    }
    void quantileOfSorted()
    {
        QFETCH(QVector<double>, values);
        QFETCH(double, q);
        QFETCH(double, expected);
        QVERIFY(near(dv::quantileOfSorted(std::vector<double>(values.begin(), values.end()), q), expected));
    }

    void quantiles()
    {
        QVERIFY(std::isnan(quantile({}, 0.5)));
        QCOMPARE(quantile({4.0}, 0.2), 4.0);
        QCOMPARE(quantile({5.0, 1.0, 3.0}, 0.5), 3.0);
        QCOMPARE(quantile({1.0, 2.0, 3.0, 4.0}, 0.5), 2.5);
        QCOMPARE(quantile({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, 0.2), 2.0);
    }

    void qOutsideTheUnitIntervalIsClamped()
    {
        const std::vector<double> v{1, 2, 3};
        QCOMPARE(dv::quantileOfSorted(v, -0.5), 1.0);
        QCOMPARE(dv::quantileOfSorted(v, 1.5), 3.0);
        QVERIFY(std::isnan(dv::quantileOfSorted(std::vector<double>{}, 0.5)));
    }
};

QTEST_APPLESS_MAIN(TestStatistics)
#include "tst_statistics.moc"

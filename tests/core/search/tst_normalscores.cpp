#include "search/NormalScores.h"

#include "search/model/Acquisition.h"

#include <QTest>

#include <cmath>

using namespace dv;

class TestNormalScores : public QObject {
    Q_OBJECT

private slots:
    void quantileInvertsTheCdf_data();
    void quantileInvertsTheCdf();
    void scoresFollowTheRanks_data();
    void scoresFollowTheRanks();
    void aSlowTailDoesNotStretchTheScores();
};

void TestNormalScores::quantileInvertsTheCdf_data()
{
    QTest::addColumn<double>("p");
    QTest::addColumn<double>("z");
    QTest::newRow("median") << 0.5 << 0.0;
    QTest::newRow("97.5%") << 0.975 << 1.959963984540054;
    QTest::newRow("2.5%") << 0.025 << -1.959963984540054;
    QTest::newRow("lower tail") << 1e-6 << -4.753424308822899;
    QTest::newRow("upper tail") << 0.999 << 3.090232306167813;
    QTest::newRow("central") << 0.3 << -0.5244005127080407;
}

void TestNormalScores::quantileInvertsTheCdf()
{
    QFETCH(double, p);
    QFETCH(double, z);
    const double got = normalQuantile(p);
    QVERIFY2(std::abs(got - z) < 1e-8 * std::max(1.0, std::abs(z)), qPrintable(QString::number(got, 'g', 17)));
    QVERIFY(std::abs(normalCdf(got) - p) < 1e-9 * std::max(1.0, p / 1e-6));
    QVERIFY(std::abs(normalQuantile(1 - p) + got) < 1e-8 * std::max(1.0, std::abs(z))); // symmetric
}

void TestNormalScores::scoresFollowTheRanks_data()
{
    QTest::addColumn<std::vector<double>>("values");
    QTest::addColumn<std::vector<double>>("expected");
    const double q1 = normalQuantile(0.5 / 3), q3 = normalQuantile(2.5 / 3);
    QTest::newRow("three distinct") << std::vector<double>{5.0, 1.0, 3.0} << std::vector<double>{q3, q1, 0.0};
    // Ties share their mean rank: (0 + 1) / 2 = 0.5 -> quantile((0.5 + 0.5) / 3).
    const double tie = normalQuantile(1.0 / 3);
    QTest::newRow("a tie") << std::vector<double>{2.0, 2.0, 7.0} << std::vector<double>{tie, tie, q3};
    QTest::newRow("all equal") << std::vector<double>{4.0, 4.0, 4.0, 4.0} << std::vector<double>{0.0, 0.0, 0.0, 0.0};
    QTest::newRow("one") << std::vector<double>{9.0} << std::vector<double>{0.0};
    QTest::newRow("none") << std::vector<double>{} << std::vector<double>{};
}

void TestNormalScores::scoresFollowTheRanks()
{
    QFETCH(std::vector<double>, values);
    QFETCH(std::vector<double>, expected);
    const std::vector<double> got = normalScores(values);
    QCOMPARE(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
        QVERIFY2(std::abs(got[i] - expected[i]) < 1e-12, qPrintable(QStringLiteral("%1: %2 vs %3").arg(i).arg(got[i]).arg(expected[i])));
}

void TestNormalScores::aSlowTailDoesNotStretchTheScores()
{
    // Only the order matters: a configuration 1000 times slower scores as the next-slowest would.
    const std::vector<double> a = normalScores({1.0, 1.1, 1.2, 1.3});
    const std::vector<double> b = normalScores({1.0, 1.1, 1.2, 1300.0});
    QCOMPARE(a, b);
}

QTEST_GUILESS_MAIN(TestNormalScores)
#include "tst_normalscores.moc"

#include "search/model/Acquisition.h"

#include <QtTest/QtTest>
#include <cmath>
#include <limits>

using namespace dv;

class TestAcquisition : public QObject {
    Q_OBJECT

private slots:
    void expectedImprovementMatchesHandComputed_data();
    void expectedImprovementMatchesHandComputed();
    void expectedImprovementWithZeroSigmaIsPlainImprovement();
    void expectedImprovementIsContinuousAsSigmaVanishes();
    void expectedImprovementIncreasesWithSigma();
    void expectedImprovementDecreasesWithXi();
    void expectedImprovementFarTailIsTinyAndNonNegative();
    void vectorisedMatchesScalar();
    void probabilityOfImprovementMatchesHandComputed_data();
    void probabilityOfImprovementMatchesHandComputed();
    void lowerConfidenceBoundIsMeanMinusKappaSigma();
    void normalCdfIsAccurateInTheLowerTail();
    void mismatchedSizesThrow();
};

void TestAcquisition::expectedImprovementMatchesHandComputed_data() {
    QTest::addColumn<double>("mean");
    QTest::addColumn<double>("sigma");
    QTest::addColumn<double>("best");
    QTest::addColumn<double>("xi");
    QTest::addColumn<double>("expected");
    // sigma * (z Phi(z) + phi(z)), z = (best - xi - mean) / sigma, evaluated independently.
    QTest::newRow("at incumbent") << 0.0 << 1.0 << 0.0 << 0.0 << 0.3989422804014327;
    QTest::newRow("worse mean") << 1.0 << 2.0 << 0.5 << 0.0 << 0.5726893964471604;
    QTest::newRow("better mean") << 0.2 << 0.1 << 0.5 << 0.0 << 0.3000382154317047;
    QTest::newRow("with xi") << 0.2 << 0.1 << 0.5 << 0.05 << 0.25020041371791285;
    QTest::newRow("four sigma worse") << 3.0 << 0.5 << 1.0 << 0.0 << 3.572629216202754e-06;
}

void TestAcquisition::expectedImprovementMatchesHandComputed() {
    QFETCH(double, mean);
    QFETCH(double, sigma);
    QFETCH(double, best);
    QFETCH(double, xi);
    QFETCH(double, expected);
    const double ei = expectedImprovement(mean, sigma, best, xi);
    QVERIFY2(
        std::abs(ei - expected) <= 1e-12 * std::max(1.0, expected) + 1e-9 * expected,
        qPrintable(QStringLiteral("EI %1, expected %2").arg(ei, 0, 'g', 17).arg(expected, 0, 'g', 17)));
}

void TestAcquisition::expectedImprovementWithZeroSigmaIsPlainImprovement() {
    QCOMPARE(expectedImprovement(1.0, 0.0, 1.0), 0.0);   // mean == best
    QCOMPARE(expectedImprovement(2.0, 0.0, 1.0), 0.0);   // mean worse than best
    QCOMPARE(expectedImprovement(0.25, 0.0, 1.0), 0.75); // certain improvement
    QCOMPARE(expectedImprovement(0.25, 0.0, 1.0, 0.5), 0.25);
    const Eigen::VectorXd ei =
        expectedImprovement(Eigen::Vector3d(1.0, 2.0, 0.25), Eigen::Vector3d::Zero(), 1.0);
    QCOMPARE(ei[0], 0.0);
    QCOMPARE(ei[1], 0.0);
    QCOMPARE(ei[2], 0.75);
    // Slightly negative variances (rounding in a posterior) are treated as zero, never as NaN.
    QCOMPARE(
        expectedImprovement(Eigen::Vector2d(2.0, 0.5), Eigen::Vector2d(-1e-18, -1e-18), 1.0)[1],
        0.5);
}

void TestAcquisition::expectedImprovementIsContinuousAsSigmaVanishes() {
    for (double sigma : {1e-6, 1e-12, 1e-200, 1e-310}) {
        QVERIFY(std::abs(expectedImprovement(0.25, sigma, 1.0) - 0.75) < 1e-9);
        const double above = expectedImprovement(1.5, sigma, 1.0);
        QVERIFY(above >= 0.0 && above < 1e-9);
        // At the incumbent EI = sigma * phi(0): it vanishes linearly with sigma.
        QVERIFY(std::abs(expectedImprovement(1.0, sigma, 1.0) - sigma * 0.3989422804014327) <=
                1e-12 * sigma);
    }
}

void TestAcquisition::expectedImprovementIncreasesWithSigma() {
    for (double mean : {-0.5, 0.0, 0.5, 2.0}) {
        double previous = expectedImprovement(mean, 0.0, 0.0);
        for (double sigma = 0.05; sigma < 5.0; sigma *= 1.3) {
            const double ei = expectedImprovement(mean, sigma, 0.0);
            // Strictly increasing in exact arithmetic; for a sure improvement and tiny sigma the
            // gain is below double resolution.
            QVERIFY2(sigma > 0.2 ? ei > previous : ei >= previous,
                     qPrintable(QStringLiteral("mean %1 sigma %2").arg(mean).arg(sigma)));
            previous = ei;
        }
    }
}

void TestAcquisition::expectedImprovementDecreasesWithXi() {
    double previous = expectedImprovement(0.0, 0.3, 0.1, 0.0);
    for (double xi : {0.01, 0.05, 0.1, 0.5}) {
        const double ei = expectedImprovement(0.0, 0.3, 0.1, xi);
        QVERIFY(ei < previous);
        previous = ei;
    }
}

void TestAcquisition::expectedImprovementFarTailIsTinyAndNonNegative() {
    for (double z : {-8.0, -15.0, -30.0, -45.0}) {
        const double ei = expectedImprovement(-z, 1.0, 0.0); // mean z sigmas above the best
        QVERIFY(std::isfinite(ei));
        QVERIFY(ei >= 0.0);
        // phi(z)/z^2 bounds EI from above in the tail.
        QVERIFY(ei <= std::exp(-0.5 * z * z) / (z * z) + 1e-300);
    }
    // Still resolves ordering where the tail is representable.
    QVERIFY(expectedImprovement(8.0, 1.0, 0.0) > expectedImprovement(9.0, 1.0, 0.0));
}

void TestAcquisition::vectorisedMatchesScalar() {
    Eigen::VectorXd mean(5), variance(5);
    mean << -1.0, 0.0, 0.3, 1.0, 4.0;
    variance << 0.04, 1.0, 0.0, 0.25, 2.0;
    const Eigen::VectorXd ei = expectedImprovement(mean, variance, 0.2, 0.01);
    const Eigen::VectorXd pi = probabilityOfImprovement(mean, variance, 0.2, 0.01);
    for (Eigen::Index i = 0; i < mean.size(); ++i) {
        QCOMPARE(ei[i], expectedImprovement(mean[i], std::sqrt(variance[i]), 0.2, 0.01));
        QCOMPARE(pi[i], probabilityOfImprovement(mean[i], std::sqrt(variance[i]), 0.2, 0.01));
    }
}

void TestAcquisition::probabilityOfImprovementMatchesHandComputed_data() {
    QTest::addColumn<double>("mean");
    QTest::addColumn<double>("sigma");
    QTest::addColumn<double>("best");
    QTest::addColumn<double>("xi");
    QTest::addColumn<double>("expected");
    QTest::newRow("at incumbent") << 1.0 << 0.5 << 1.0 << 0.0 << 0.5;
    QTest::newRow("worse mean") << 1.0 << 2.0 << 0.5 << 0.0 << 0.4012936743170763;
    QTest::newRow("with xi") << 0.2 << 0.1 << 0.5 << 0.05 << 0.9937903346742238;
    QTest::newRow("certain") << 0.2 << 0.0 << 0.5 << 0.0 << 1.0;
    QTest::newRow("impossible") << 0.7 << 0.0 << 0.5 << 0.0 << 0.0;
    QTest::newRow("tie without spread") << 0.5 << 0.0 << 0.5 << 0.0 << 0.0;
}

void TestAcquisition::probabilityOfImprovementMatchesHandComputed() {
    QFETCH(double, mean);
    QFETCH(double, sigma);
    QFETCH(double, best);
    QFETCH(double, xi);
    QFETCH(double, expected);
    QVERIFY(std::abs(probabilityOfImprovement(mean, sigma, best, xi) - expected) < 1e-12);
}

void TestAcquisition::lowerConfidenceBoundIsMeanMinusKappaSigma() {
    const Eigen::VectorXd lcb =
        lowerConfidenceBound(Eigen::Vector3d(1.0, 2.0, -1.0), Eigen::Vector3d(4.0, 0.0, 0.25), 1.5);
    QCOMPARE(lcb[0], 1.0 - 1.5 * 2.0);
    QCOMPARE(lcb[1], 2.0);
    QCOMPARE(lcb[2], -1.0 - 1.5 * 0.5);
    // kappa = 0 is the posterior mean: pure exploitation.
    QCOMPARE(lowerConfidenceBound(Eigen::Vector2d(3.0, 4.0), Eigen::Vector2d(1.0, 9.0), 0.0)[1],
             4.0);
}

void TestAcquisition::normalCdfIsAccurateInTheLowerTail() {
    QCOMPARE(normalCdf(0.0), 0.5);
    QVERIFY(std::abs(normalCdf(-8.0) / 6.220960574271785e-16 - 1.0) < 1e-10);
    QVERIFY(std::abs(normalCdf(-30.0) / 4.906713927148187e-198 - 1.0) < 1e-10);
    QVERIFY(std::abs(normalCdf(1.0) - 0.8413447460685429) < 1e-15);
    QVERIFY(std::abs(normalPdf(1.0) - 0.24197072451914337) < 1e-15);
}

void TestAcquisition::mismatchedSizesThrow() {
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument,
        expectedImprovement(Eigen::VectorXd::Zero(3), Eigen::VectorXd::Ones(2), 0.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lowerConfidenceBound(Eigen::VectorXd::Zero(1),
                                                                         Eigen::VectorXd::Ones(2)));
}

QTEST_APPLESS_MAIN(TestAcquisition)
#include "tst_acquisition.moc"

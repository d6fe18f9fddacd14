#include "space/ConfigEncoder.h"
#include "search/model/GaussianProcess.h"
#include "space/ConfigSpace.h"

#include <QtTest/QtTest>
#include <cmath>
#include <functional>

using namespace dv;

namespace {

using Objective = std::function<double(const Eigen::RowVectorXd&)>;

Eigen::MatrixXd uniformPoints(int n, int d, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Eigen::MatrixXd X(n, d);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
            X(i, k) = u(rng);
    return X;
}

Eigen::VectorXd evaluate(const Objective& f, const Eigen::MatrixXd& X) {
    Eigen::VectorXd y(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i)
        y[i] = f(X.row(i));
    return y;
}

// Full grid over [0,1]^d with `steps` points per axis.
Eigen::MatrixXd grid(int d, int steps) {
    const int total = static_cast<int>(std::pow(steps, d));
    Eigen::MatrixXd G(total, d);
    for (int i = 0; i < total; ++i) {
        int rest = i;
        for (int k = 0; k < d; ++k) {
            G(i, k) = static_cast<double>(rest % steps) / (steps - 1);
            rest /= steps;
        }
    }
    return G;
}

// Branin on [0,1]^2 (mapped to [-5,10] x [0,15]); global minimum 0.397887 at three points.
double branin(const Eigen::RowVectorXd& x) {
    const double a = 15.0 * x[0] - 5.0;
    const double b = 15.0 * x[1];
    const double pi = 3.14159265358979323846;
    const double t = b - 5.1 / (4.0 * pi * pi) * a * a + 5.0 / pi * a - 6.0;
    return t * t + 10.0 * (1.0 - 1.0 / (8.0 * pi)) * std::cos(a) + 10.0;
}

} // namespace

Q_DECLARE_METATYPE(Objective)
Q_DECLARE_METATYPE(Eigen::MatrixXd)

class TestGaussianProcess : public QObject {
    Q_OBJECT

private slots:
    void maternKernelMatchesDefinition();
    void interpolatesTrainingPoints();
    void varianceGrowsAwayFromData();
    void matchesDenseReferenceFormulas();
    void recoversMinimum_data();
    void recoversMinimum();
    void irrelevantDimensionGetsLongLengthScale();
    void hyperParametersStayInBounds();
    void refitWithoutHyperKeepsHyperParameters();
    void approximateVarianceIsConservative();
    void meanOnlyMatchesPredict();
    void duplicateInputsAreStable();
    void singlePoint();
    void constantTargets();
    void deterministicForSeed();
    void invalidUseThrows();
    void recoversPureInteraction();
    void hyperParametersRoundTrip();
    void groupedLengthScalesAreShared();
    void invalidGroupsThrow();
    void levelColumnsEncodeValuesAtUnitDistance();
    void plainModelWinsBicOnSmoothEffects();
    void leaveOneOutMatchesConditioningOnTheRest();
    void looAdvantageFavoursLevelColumnsOnlyWhereValuesActApart();
    void oneHotPredictionMatchesGeneralPath();
    void boxMinimiserFindsInteriorAndBoundaryOptima();
};

void TestGaussianProcess::maternKernelMatchesDefinition() {
    std::mt19937_64 rng(1);
    // Include far pairs (exp underflow region) and an exact duplicate (r = 0).
    Eigen::MatrixXd A = uniformPoints(7, 3, rng) * 3.0;
    Eigen::MatrixXd B = uniformPoints(5, 3, rng);
    B.row(4) = A.row(2);
    const Eigen::Vector3d ls(0.3, 0.01, 2.0);
    const Eigen::MatrixXd K = GaussianProcess::maternKernel(A, B, ls, 1.7);
    for (Eigen::Index i = 0; i < A.rows(); ++i) {
        for (Eigen::Index j = 0; j < B.rows(); ++j) {
            const double r =
                ((A.row(i) - B.row(j)).array() / ls.transpose().array()).matrix().norm();
            const double t = std::sqrt(5.0) * r;
            const double expected = 1.7 * (1.0 + t + t * t / 3.0) * std::exp(-t);
            QVERIFY(std::abs(K(i, j) - expected) <= 1e-12 * 1.7);
        }
    }
    QCOMPARE(K(2, 4), 1.7);
    // The product form agrees with forming K.
    const Eigen::MatrixXd W = uniformPoints(5, 2, rng);
    const Eigen::MatrixXd KW = GaussianProcess::maternKernelProduct(A, B, ls, 1.7, W, 2);
    QVERIFY((KW - K * W).cwiseAbs().maxCoeff() < 1e-12);
}

void TestGaussianProcess::interpolatesTrainingPoints() {
    std::mt19937_64 rng(2);
    const Eigen::MatrixXd X = uniformPoints(25, 2, rng);
    const Eigen::VectorXd y =
        evaluate([](const Eigen::RowVectorXd& x) { return std::sin(5 * x[0]) + x[1] * x[1]; }, X);
    GaussianProcess gp;
    gp.fit(X, y, rng);
    QVERIFY(gp.isFitted());
    Eigen::VectorXd mean, variance;
    gp.predict(X, mean, variance);
    const double range = y.maxCoeff() - y.minCoeff();
    QVERIFY2((mean - y).cwiseAbs().maxCoeff() < 0.01 * range,
             qPrintable(QStringLiteral("max error %1").arg((mean - y).cwiseAbs().maxCoeff())));
    const double yVar = (y.array() - y.mean()).square().mean();
    QVERIFY(variance.maxCoeff() < 1e-3 * yVar);
    QVERIFY(variance.minCoeff() >= 0.0);
    QVERIFY(std::isfinite(gp.logMarginalLikelihood()));
}

void TestGaussianProcess::varianceGrowsAwayFromData() {
    std::mt19937_64 rng(3);
    // Data only in the left half of the square.
    Eigen::MatrixXd X = uniformPoints(20, 2, rng);
    X.col(0) *= 0.4;
    const Eigen::VectorXd y =
        evaluate([](const Eigen::RowVectorXd& x) { return std::cos(4 * x[0]) + x[1]; }, X);
    GaussianProcess gp;
    gp.fit(X, y, rng);
    // A training point, a point inside the sampled strip, then further and further out.
    Eigen::MatrixXd probes(5, 2);
    probes << X(0, 0), X(0, 1), 0.2, 0.5, 0.55, 0.5, 0.75, 0.5, 1.0, 0.5;
    Eigen::VectorXd mean, variance;
    gp.predict(probes, mean, variance);
    QVERIFY(variance[0] < variance[2]);
    QVERIFY(variance[1] < variance[2]);
    QVERIFY(variance[2] < variance[3]);
    QVERIFY(variance[3] < variance[4]);
    QVERIFY(variance[4] > 100.0 * variance[0]);
}

void TestGaussianProcess::matchesDenseReferenceFormulas() {
    std::mt19937_64 rng(4);
    const Eigen::MatrixXd X = uniformPoints(30, 3, rng);
    const Eigen::VectorXd y =
        evaluate([](const Eigen::RowVectorXd& x) { return x.sum() + std::sin(7 * x[1]); }, X);
    GaussianProcess gp;
    gp.fit(X, y, rng);
    const Eigen::MatrixXd Xs = uniformPoints(50, 3, rng);
    Eigen::VectorXd mean, variance;
    gp.predict(Xs, mean, variance);

    // Textbook GP equations on the standardised targets.
    const double mu = y.mean();
    const double sd = std::sqrt((y.array() - mu).square().sum() / (y.size() - 1));
    const Eigen::VectorXd z = (y.array() - mu) / sd;
    Eigen::MatrixXd K = GaussianProcess::maternKernel(X, X, gp.lengthScales(), gp.signalVariance());
    K.diagonal().array() += gp.noiseVariance();
    const Eigen::MatrixXd Ks =
        GaussianProcess::maternKernel(Xs, X, gp.lengthScales(), gp.signalVariance());
    const Eigen::LLT<Eigen::MatrixXd> llt(K);
    const Eigen::VectorXd refMean = ((Ks * llt.solve(z)).array() * sd + mu).matrix();
    const Eigen::VectorXd refVar =
        ((gp.signalVariance() - (Ks * llt.solve(Ks.transpose())).diagonal().array()) * sd * sd)
            .matrix();
    QVERIFY((mean - refMean).cwiseAbs().maxCoeff() < 1e-8);
    QVERIFY((variance - refVar).cwiseAbs().maxCoeff() < 1e-8);
    const double refLml = -0.5 * z.dot(llt.solve(z)) -
                          llt.matrixL().toDenseMatrix().diagonal().array().log().sum() -
                          0.5 * z.size() * std::log(2.0 * 3.14159265358979323846);
    QVERIFY(std::abs(gp.logMarginalLikelihood() - refLml) < 1e-8 * std::max(1.0, std::abs(refLml)));
}

void TestGaussianProcess::recoversMinimum_data() {
    QTest::addColumn<int>("dims");
    QTest::addColumn<int>("points");
    QTest::addColumn<Objective>("objective");
    QTest::addColumn<Eigen::MatrixXd>("minimisers"); // one global minimiser per row
    QTest::addColumn<double>("tolerance");           // distance from the nearest one

    const Eigen::RowVector2d m2(0.3, 0.7);
    QTest::newRow("shifted quadratic 2-D")
        << 2 << 30 << Objective([m2](const Eigen::RowVectorXd& x) {
               return (x - m2).squaredNorm() * 4.0 + 1.0;
           })
        << Eigen::MatrixXd(m2) << 0.1;
    const Eigen::RowVector3d m3(0.65, 0.25, 0.4);
    const Eigen::RowVector3d w3(3.0, 1.0, 2.0);
    QTest::newRow("anisotropic quadratic 3-D")
        << 3 << 30 << Objective([m3, w3](const Eigen::RowVectorXd& x) {
               return ((x - m3).array().square() * w3.array()).sum() -
                      0.1 * std::cos(3.0 * (x[0] - 0.65));
           })
        << Eigen::MatrixXd(m3) << 0.1;
    const double pi = 3.14159265358979323846;
    Eigen::MatrixXd braninMinima(3, 2);
    braninMinima << (5.0 - pi) / 15.0, 12.275 / 15.0, (5.0 + pi) / 15.0, 2.275 / 15.0,
        (5.0 + 3.0 * pi) / 15.0, 2.475 / 15.0;
    QTest::newRow("Branin") << 2 << 50 << Objective(branin) << braninMinima << 0.2;
}

void TestGaussianProcess::recoversMinimum() {
    QFETCH(int, dims);
    QFETCH(int, points);
    QFETCH(Objective, objective);
    QFETCH(Eigen::MatrixXd, minimisers);
    QFETCH(double, tolerance);
    std::mt19937_64 rng(5);
    const Eigen::MatrixXd X = uniformPoints(points, dims, rng);
    GaussianProcess gp;
    gp.fit(X, evaluate(objective, X), rng);
    const Eigen::MatrixXd G = grid(dims, dims == 2 ? 41 : 21);
    const Eigen::VectorXd mean = gp.predictMean(G);
    Eigen::Index best = 0;
    mean.minCoeff(&best);
    const Eigen::VectorXd truth = evaluate(objective, G);
    const double fMin = truth.minCoeff();
    const double regret = (truth[best] - fMin) / (truth.maxCoeff() - fMin);
    QVERIFY2(regret < 0.05, qPrintable(QStringLiteral("regret %1 of the range").arg(regret)));
    const double distance = (minimisers.rowwise() - G.row(best)).rowwise().norm().minCoeff();
    QVERIFY2(distance < tolerance,
             qPrintable(QStringLiteral("argmin %1 away from the minimiser").arg(distance)));
}

void TestGaussianProcess::irrelevantDimensionGetsLongLengthScale() {
    std::mt19937_64 rng(6);
    const Eigen::MatrixXd X = uniformPoints(40, 3, rng);
    // Only x0 matters; x1 and x2 are pure distraction.
    const Eigen::VectorXd y =
        evaluate([](const Eigen::RowVectorXd& x) { return std::sin(6.0 * x[0]); }, X);
    GaussianProcess gp;
    gp.fit(X, y, rng);
    const Eigen::VectorXd& ls = gp.lengthScales();
    QVERIFY2(ls[1] > 5.0 * ls[0] && ls[2] > 5.0 * ls[0],
             qPrintable(QStringLiteral("length scales %1 %2 %3").arg(ls[0]).arg(ls[1]).arg(ls[2])));
}

void TestGaussianProcess::hyperParametersStayInBounds() {
    std::mt19937_64 rng(7);
    // Pure noise pushes towards short length scales and/or large noise.
    std::normal_distribution<double> noise(0.0, 1.0);
    const Eigen::MatrixXd X = uniformPoints(40, 2, rng);
    Eigen::VectorXd y(40);
    for (int i = 0; i < 40; ++i)
        y[i] = noise(rng);
    GaussianProcess gp;
    gp.fit(X, y, rng);
    for (Eigen::Index k = 0; k < 2; ++k) {
        QVERIFY(gp.lengthScales()[k] >= GaussianProcess::kMinLengthScale * 0.999999);
        QVERIFY(gp.lengthScales()[k] <= GaussianProcess::kMaxLengthScale * 1.000001);
    }
    QVERIFY(gp.noiseVariance() >= GaussianProcess::kMinNoise * 0.999999);
    QVERIFY(gp.noiseVariance() <= GaussianProcess::kMaxNoise * 1.01);
    QVERIFY(gp.signalVariance() >= GaussianProcess::kMinSignal * 0.999999);
    QVERIFY(gp.signalVariance() <= GaussianProcess::kMaxSignal * 1.000001);
    // White noise should be explained as noise, not interpolated.
    // Whatever explanation wins (noise or very short length scales), predictions revert to the
    // data's level instead of extrapolating wildly.
    Eigen::VectorXd mean, variance;
    gp.predict(uniformPoints(500, 2, rng), mean, variance);
    QVERIFY((mean.array() - y.mean()).abs().maxCoeff() < 3.0);
    QVERIFY(variance.allFinite());
}

void TestGaussianProcess::refitWithoutHyperKeepsHyperParameters() {
    std::mt19937_64 rng(8);
    auto f = [](const Eigen::RowVectorXd& x) { return std::sin(4.0 * x[0]) * x[1]; };
    const Eigen::MatrixXd X = uniformPoints(30, 2, rng);
    GaussianProcess gp;
    gp.fit(X, evaluate(f, X), rng);
    const Eigen::VectorXd ls = gp.lengthScales();
    const double s2 = gp.signalVariance();

    const Eigen::MatrixXd X2 = uniformPoints(45, 2, rng);
    GpOptions keep;
    keep.refitHyper = false;
    gp.fit(X2, evaluate(f, X2), rng, keep);
    QCOMPARE(gp.size(), 45);
    QVERIFY((gp.lengthScales() - ls).norm() == 0.0);
    QCOMPARE(gp.signalVariance(), s2);
    Eigen::VectorXd mean, variance;
    gp.predict(X2, mean, variance);
    QVERIFY((mean - evaluate(f, X2)).cwiseAbs().maxCoeff() < 0.02);

    // Without previous hyper-parameters, refitHyper = false still fits them.
    GaussianProcess fresh;
    fresh.fit(X2, evaluate(f, X2), rng, keep);
    QVERIFY(fresh.isFitted());
    QVERIFY(fresh.lengthScales().size() == 2);
}

void TestGaussianProcess::approximateVarianceIsConservative() {
    std::mt19937_64 rng(9);
    const Eigen::MatrixXd X = uniformPoints(300, 4, rng);
    const Eigen::VectorXd y = evaluate(
        [](const Eigen::RowVectorXd& x) {
            return (x.array() - 0.4).square().sum() + std::sin(5 * x[0]);
        },
        X);
    GaussianProcess approx;
    GpOptions options;
    options.maxVariancePoints = 64;
    approx.fit(X, y, rng, options);
    GaussianProcess exact = approx;
    GpOptions all;
    all.refitHyper = false;
    all.maxVariancePoints = 300;
    exact.fit(X, y, rng, all);

    const Eigen::MatrixXd Xs = uniformPoints(2000, 4, rng);
    Eigen::VectorXd meanA, varA, meanE, varE;
    approx.predict(Xs, meanA, varA);
    exact.predict(Xs, meanE, varE);
    // The mean is always exact; the variance conditions on fewer points, so it can only be larger.
    QVERIFY((meanA - meanE).cwiseAbs().maxCoeff() < 1e-9);
    QVERIFY((varA.array() >= varE.array() - 1e-10).all());
    // ... and it stays close to exact at the best observations, which it always keeps (only the
    // neighbours that were left out make a difference).
    Eigen::Index bestIndex = 0;
    y.minCoeff(&bestIndex);
    Eigen::VectorXd m1, v1, m2, v2;
    approx.predict(X.row(bestIndex), m1, v1);
    exact.predict(X.row(bestIndex), m2, v2);
    QVERIFY(v1[0] < 2.0 * v2[0]);
    QVERIFY(v1[0] < 0.01 * varA.mean());
}

void TestGaussianProcess::meanOnlyMatchesPredict() {
    std::mt19937_64 rng(10);
    const Eigen::MatrixXd X = uniformPoints(60, 3, rng);
    GaussianProcess gp;
    gp.fit(X, evaluate([](const Eigen::RowVectorXd& x) { return x.prod(); }, X), rng);
    const Eigen::MatrixXd Xs = uniformPoints(1500, 3, rng); // several blocks and both threads
    Eigen::VectorXd mean, variance;
    gp.predict(Xs, mean, variance);
    QVERIFY((gp.predictMean(Xs) - mean).cwiseAbs().maxCoeff() < 1e-12);
    QVERIFY(mean.allFinite() && variance.allFinite());
}

void TestGaussianProcess::duplicateInputsAreStable() {
    std::mt19937_64 rng(11);
    Eigen::MatrixXd X = uniformPoints(10, 2, rng);
    Eigen::MatrixXd Xd(30, 2);
    Eigen::VectorXd y(30);
    std::normal_distribution<double> noise(0.0, 0.05);
    for (int i = 0; i < 30; ++i) {
        Xd.row(i) = X.row(i % 10); // every configuration measured three times
        y[i] = X(i % 10, 0) + noise(rng);
    }
    GaussianProcess gp;
    gp.fit(Xd, y, rng);
    Eigen::VectorXd mean, variance;
    gp.predict(X, mean, variance);
    QVERIFY(mean.allFinite());
    QVERIFY((variance.array() >= 0.0).all());
    // The repeated measurements are averaged, not interpolated individually.
    for (int i = 0; i < 10; ++i) {
        const double average = (y[i] + y[i + 10] + y[i + 20]) / 3.0;
        QVERIFY(std::abs(mean[i] - average) < 0.1);
    }
    QVERIFY(gp.noiseVariance() > 1e-4);

    // Exact duplicates with identical targets and no noise need the jitter path to stay finite.
    Eigen::MatrixXd same = Eigen::MatrixXd::Constant(5, 2, 0.5);
    gp.fit(same, Eigen::VectorXd::Constant(5, 2.0), rng);
    gp.predict(same, mean, variance);
    QVERIFY(mean.allFinite() && variance.allFinite());
    QVERIFY(std::abs(mean[0] - 2.0) < 1e-9);
}

void TestGaussianProcess::singlePoint() {
    std::mt19937_64 rng(12);
    GaussianProcess gp;
    gp.fit(Eigen::RowVector2d(0.3, 0.6), Eigen::VectorXd::Constant(1, -1.5), rng);
    Eigen::MatrixXd probes(2, 2);
    probes << 0.3, 0.6, 0.9, 0.0;
    Eigen::VectorXd mean, variance;
    gp.predict(probes, mean, variance);
    QVERIFY(std::abs(mean[0] + 1.5) < 1e-3);
    QVERIFY(std::abs(mean[1] + 1.5) < 1e-3); // the prior mean is the observed level
    QVERIFY(variance[0] < 0.01 * variance[1]);
}

void TestGaussianProcess::constantTargets() {
    std::mt19937_64 rng(13);
    const Eigen::MatrixXd X = uniformPoints(12, 3, rng);
    GaussianProcess gp;
    gp.fit(X, Eigen::VectorXd::Constant(12, 4.25), rng);
    Eigen::VectorXd mean, variance;
    gp.predict(uniformPoints(20, 3, rng), mean, variance);
    QVERIFY((mean.array() - 4.25).abs().maxCoeff() < 1e-9);
    QVERIFY(variance.allFinite());
    QVERIFY((variance.array() >= 0.0).all());
}

void TestGaussianProcess::deterministicForSeed() {
    auto run = [](int threads) {
        std::mt19937_64 rng(14);
        const Eigen::MatrixXd X = uniformPoints(50, 3, rng);
        GaussianProcess gp;
        GpOptions options;
        options.threads = threads;
        gp.fit(X, evaluate([](const Eigen::RowVectorXd& x) { return std::exp(x[0]) - x[2]; }, X),
               rng, options);
        return gp.lengthScales();
    };
    const Eigen::VectorXd a = run(1);
    QVERIFY(a == run(1));
    QVERIFY(a == run(2)); // restarts run in parallel but are drawn up front
}

void TestGaussianProcess::invalidUseThrows() {
    std::mt19937_64 rng(15);
    GaussianProcess gp;
    QVERIFY(!gp.isFitted());
    Eigen::VectorXd mean, variance;
    QVERIFY_THROWS_EXCEPTION(std::logic_error,
                             gp.predict(Eigen::MatrixXd::Zero(1, 2), mean, variance));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             gp.fit(Eigen::MatrixXd::Zero(3, 2), Eigen::VectorXd::Zero(2), rng));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             gp.fit(Eigen::MatrixXd(0, 2), Eigen::VectorXd(0), rng));
    Eigen::VectorXd bad = Eigen::VectorXd::Zero(3);
    bad[1] = std::numeric_limits<double>::infinity();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gp.fit(Eigen::MatrixXd::Zero(3, 2), bad, rng));
    gp.fit(uniformPoints(5, 2, rng), Eigen::VectorXd::LinSpaced(5, 0.0, 1.0), rng);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             gp.predict(Eigen::MatrixXd::Zero(1, 3), mean, variance));
}

void TestGaussianProcess::boxMinimiserFindsInteriorAndBoundaryOptima() {
    // Rosenbrock: curved valley, minimum at (1, 1).
    const BoxObjective rosenbrock = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
        const double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
        g.resize(2);
        g[0] = -2.0 * a - 400.0 * x[0] * b;
        g[1] = 200.0 * b;
        return a * a + 100.0 * b * b;
    };
    Eigen::VectorXd x = Eigen::Vector2d(-1.2, 1.0);
    double f =
        minimizeInBox(rosenbrock, x, Eigen::Vector2d(-2.0, -2.0), Eigen::Vector2d(2.0, 2.0), 500);
    QVERIFY2(f < 1e-6 && (x - Eigen::Vector2d(1.0, 1.0)).norm() < 1e-2,
             qPrintable(QStringLiteral("f %1").arg(f)));
    // With the box cutting off the minimum the answer is on the boundary: x0 = 0.5, x1 = 0.25.
    x = Eigen::Vector2d(-1.2, 1.0);
    f = minimizeInBox(rosenbrock, x, Eigen::Vector2d(-2.0, -2.0), Eigen::Vector2d(0.5, 2.0), 500);
    QVERIFY(std::abs(x[0] - 0.5) < 1e-9);
    QVERIFY(std::abs(x[1] - 0.25) < 1e-3);
    QVERIFY(std::abs(f - 0.25) < 1e-5);
}

// f = (x0 - 0.5)(x1 - 0.5) on a symmetric grid has no main effects: its best additive approximation
// (the sum of its one-dimensional averages) is identically zero, so an additive surrogate cannot
// predict it better than the mean. The ARD Matern kernel over the joint distance can, and a
// dimension the function ignores gets a long length scale.
void TestGaussianProcess::recoversPureInteraction() {
    std::vector<double> grid{0.0, 0.25, 0.5, 0.75, 1.0};
    Eigen::MatrixXd X(125, 3);
    Eigen::VectorXd y(125);
    int row = 0;
    for (double a : grid)
        for (double b : grid)
            for (double c : grid) {
                X.row(row) << a, b, c;
                y[row] = (a - 0.5) * (b - 0.5);
                ++row;
            }
    // The additive projection vanishes: every one-dimensional average is zero.
    for (int k = 0; k < 3; ++k)
        for (double v : grid) {
            double sum = 0.0;
            int count = 0;
            for (int i = 0; i < 125; ++i)
                if (X(i, k) == v) {
                    sum += y[i];
                    ++count;
                }
            QVERIFY(std::abs(sum / count) < 1e-12);
        }
    std::mt19937_64 rng(3);
    GaussianProcess gp;
    gp.fit(X, y, rng);
    std::mt19937_64 probe(11);
    const Eigen::MatrixXd Xs = uniformPoints(200, 3, probe);
    Eigen::VectorXd truth(200);
    for (int i = 0; i < 200; ++i)
        truth[i] = (Xs(i, 0) - 0.5) * (Xs(i, 1) - 0.5);
    const double rmse = std::sqrt((gp.predictMean(Xs) - truth).squaredNorm() / 200.0);
    const double additiveRmse = std::sqrt(truth.squaredNorm() / 200.0); // best additive model: zero
    QVERIFY2(rmse < 0.1 * additiveRmse,
             qPrintable(QStringLiteral("rmse %1 vs additive %2").arg(rmse).arg(additiveRmse)));
    QVERIFY2(gp.lengthScales()[2] > std::max(gp.lengthScales()[0], gp.lengthScales()[1]),
             qPrintable(QStringLiteral("length scales %1 %2 %3")
                            .arg(gp.lengthScales()[0]).arg(gp.lengthScales()[1]).arg(gp.lengthScales()[2])));
}

// The hyper-parameters of a fit, set on a fresh model, reproduce its predictions without a refit
// (what a resumed search relies on).
void TestGaussianProcess::hyperParametersRoundTrip() {
    std::mt19937_64 rng(5);
    const Eigen::MatrixXd X = uniformPoints(40, 2, rng);
    Eigen::VectorXd y(40);
    for (int i = 0; i < 40; ++i)
        y[i] = std::sin(4.0 * X(i, 0)) + X(i, 1) * X(i, 1);
    GaussianProcess a;
    a.fit(X, y, rng);
    GaussianProcess b;
    b.setHyperParameters(a.hyperParameters());
    GpOptions keep;
    keep.refitHyper = false;
    b.fit(X, y, rng, keep);
    QCOMPARE(b.lengthScales(), a.lengthScales());
    const Eigen::MatrixXd Xs = uniformPoints(20, 2, rng);
    QVERIFY((a.predictMean(Xs) - b.predictMean(Xs)).cwiseAbs().maxCoeff() < 1e-12);
}

QTEST_GUILESS_MAIN(TestGaussianProcess)
void TestGaussianProcess::groupedLengthScalesAreShared() {
    std::mt19937_64 rng(21);
    const Eigen::MatrixXd X = uniformPoints(40, 4, rng);
    const Eigen::VectorXd y = evaluate(
        [](const Eigen::RowVectorXd& x) { return std::sin(5.0 * x[0]) + std::sin(4.0 * x[1]) - std::cos(4.0 * x[2]); }, X);
    GpOptions options;
    options.lengthScaleGroups = {0, 1, 1, 2};
    GaussianProcess gp;
    gp.fit(X, y, rng, options);
    QCOMPARE(gp.hyperParameters().size(), Eigen::Index(3 + 2)); // three groups, signal, noise
    QCOMPARE(gp.lengthScales().size(), Eigen::Index(4));
    QCOMPARE(gp.lengthScales()[1], gp.lengthScales()[2]);
    QCOMPARE(gp.lengthScales()[1], std::exp(gp.hyperParameters()[1]));
    // x3 is irrelevant: its own group gets the long length scale that the shared one cannot.
    QVERIFY(gp.lengthScales()[3] > 3.0 * gp.lengthScales()[1]);
    // The model still interpolates.
    Eigen::VectorXd mean, variance;
    gp.predict(X.topRows(5), mean, variance);
    QVERIFY((mean - y.head(5)).cwiseAbs().maxCoeff() < 0.05);
    // A refit without hyper-parameters keeps the grouped ones.
    const Eigen::VectorXd theta = gp.hyperParameters();
    options.refitHyper = false;
    gp.fit(X, y, rng, options);
    QCOMPARE(gp.hyperParameters(), theta);
}

void TestGaussianProcess::invalidGroupsThrow() {
    std::mt19937_64 rng(22);
    const Eigen::MatrixXd X = uniformPoints(10, 3, rng);
    const Eigen::VectorXd y = X.col(0);
    GaussianProcess gp;
    GpOptions options;
    options.lengthScaleGroups = {0, 1}; // one too few
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gp.fit(X, y, rng, options));
    options.lengthScaleGroups = {0, 2, 2}; // group 1 empty
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gp.fit(X, y, rng, options));
    options.lengthScaleGroups = {0, -1, 1};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gp.fit(X, y, rng, options));
}

namespace {

// One numeric parameter of eight values (16..128) and one of four.
dv::ConfigSpace levelSpace() {
    QVector<dv::Parameter> params;
    dv::Parameter a;
    a.name = QStringLiteral("block");
    for (int v = 16; v <= 128; v += 16)
        a.values.append(v);
    dv::Parameter b;
    b.name = QStringLiteral("tile");
    for (int v : {1, 2, 3, 4})
        b.values.append(v);
    params << a << b;
    return dv::ConfigSpace::create(QStringLiteral("levels"), params, {}).value();
}

// Every configuration of `space`, encoded, in index order.
Eigen::MatrixXd encodeAll(const ConfigEncoder& encoder, const ConfigSpace& space) {
    std::vector<qint64> all(static_cast<size_t>(space.size()));
    for (qint64 i = 0; i < space.size(); ++i)
        all[static_cast<size_t>(i)] = i;
    return encoder.encode(all);
}

// The models with and without level columns (first and second), fitted to targets y over every
// configuration of levelSpace(), in index order.
std::pair<GaussianProcess, GaussianProcess> fitLevelModels(const Eigen::VectorXd& y, std::mt19937_64& rng,
                                                           bool leaveOneOut) {
    const ConfigSpace space = levelSpace();
    const ConfigEncoder encoder(space, true);
    const Eigen::MatrixXd L = encodeAll(encoder, space);
    std::vector<int> plainGroups = encoder.lengthScaleGroups();
    plainGroups.resize(static_cast<size_t>(encoder.plainDimensions()));
    GpOptions lo, po;
    lo.leaveOneOut = po.leaveOneOut = leaveOneOut;
    lo.lengthScaleGroups = encoder.lengthScaleGroups();
    po.lengthScaleGroups = plainGroups;
    std::pair<GaussianProcess, GaussianProcess> models;
    models.first.fit(L, y, rng, lo);
    models.second.fit(L.leftCols(encoder.plainDimensions()), y, rng, po);
    return models;
}

double bic(const GaussianProcess& gp, Eigen::Index n) {
    return gp.logMarginalLikelihood() -
           0.5 * static_cast<double>(gp.hyperParameters().size()) * std::log(static_cast<double>(n));
}

} // namespace

void TestGaussianProcess::levelColumnsEncodeValuesAtUnitDistance() {
    const ConfigSpace space = levelSpace();
    const ConfigEncoder plain(space), levels(space, true);
    QCOMPARE(plain.dimensions(), 2);
    QCOMPARE(plain.plainDimensions(), 2);
    QCOMPARE(levels.plainDimensions(), 2);
    QCOMPARE(levels.dimensions(), 2 + 8 + 4);
    QCOMPARE(levels.lengthScaleGroups(), (std::vector<int>{0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3}));
    const Eigen::MatrixXd P = encodeAll(plain, space), L = encodeAll(levels, space);
    QCOMPARE(L.leftCols(2), P); // the plain columns come first, unchanged
    for (qint64 i = 0; i < space.size(); ++i) {
        for (qint64 j = 0; j < space.size(); ++j) {
            const auto vi = space.valueIndices(i), vj = space.valueIndices(j);
            const double block = (L.row(i).segment(2, 8) - L.row(j).segment(2, 8)).squaredNorm();
            const double tile = (L.row(i).segment(10, 4) - L.row(j).segment(10, 4)).squaredNorm();
            QCOMPARE(block, vi[0] == vj[0] ? 0.0 : 1.0);
            QVERIFY(std::abs(tile - (vi[1] == vj[1] ? 0.0 : 1.0)) < 1e-12);
        }
    }
}

void TestGaussianProcess::plainModelWinsBicOnSmoothEffects() {
    // The rule BayesianStrategy's "auto" mode uses to choose between the models with and without
    // level columns: where every parameter acts smoothly in its rank, the extra length scales of the
    // level columns must not pay for themselves.
    const ConfigSpace space = levelSpace();
    Eigen::VectorXd y(space.size());
    for (qint64 i = 0; i < space.size(); ++i) {
        const auto v = space.valueIndices(i);
        y[i] = 0.4 * v[0] + 0.3 * v[1] * v[1];
    }
    std::mt19937_64 rng(23);
    const auto [withLevels, plain] = fitLevelModels(y, rng, false);
    QCOMPARE(withLevels.hyperParameters().size(), Eigen::Index(4 + 2));
    QCOMPARE(plain.hyperParameters().size(), Eigen::Index(2 + 2));
    const double bicLevels = bic(withLevels, space.size()), bicPlain = bic(plain, space.size());
    QVERIFY2(bicPlain > bicLevels, qPrintable(QStringLiteral("BIC with levels %1, plain %2").arg(bicLevels).arg(bicPlain)));
}

void TestGaussianProcess::leaveOneOutMatchesConditioningOnTheRest() {
    // looLogPredictive() comes from one factorisation (Rasmussen & Williams eq. 5.12); here each point is
    // predicted the long way, from a GP over the other points with the same hyper-parameters, in the
    // standardised units the model works in.
    std::mt19937_64 rng(31);
    const Eigen::MatrixXd X = uniformPoints(24, 2, rng);
    const Eigen::VectorXd y = evaluate(branin, X);
    GaussianProcess gp;
    GpOptions options;
    options.threads = 1;
    gp.fit(X, y, rng, options);
    QVERIFY(std::isnan(gp.looLogPredictive())); // not asked for
    QCOMPARE(gp.looLogPredictiveTerms().size(), Eigen::Index(0));
    options.leaveOneOut = true;
    options.refitHyper = false;
    options.maxVariancePoints = 10; // a variance subset first: the terms must still be in X's order
    gp.fit(X, y, rng, options);
    const Eigen::Index n = X.rows();
    QCOMPARE(gp.looLogPredictiveTerms().size(), n);

    const double mean = y.mean();
    const double scale = std::sqrt((y.array() - mean).square().sum() / double(n - 1));
    const Eigen::VectorXd ys = (y.array() - mean) / scale;
    Eigen::MatrixXd K = GaussianProcess::maternKernel(X, X, gp.lengthScales(), gp.signalVariance());
    K.diagonal().array() += gp.noiseVariance();
    double total = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
        std::vector<Eigen::Index> rest;
        for (Eigen::Index j = 0; j < n; ++j)
            if (j != i)
                rest.push_back(j);
        const Eigen::MatrixXd Kr = K(rest, rest);
        const Eigen::VectorXd k = K(rest, std::vector<Eigen::Index>{i});
        const Eigen::LDLT<Eigen::MatrixXd> ldlt(Kr);
        const double mu = k.dot(ldlt.solve(Eigen::VectorXd(ys(rest))));
        const double var = K(i, i) - k.dot(ldlt.solve(k));
        const double term = -0.5 * std::log(2 * M_PI * var) - 0.5 * (ys[i] - mu) * (ys[i] - mu) / var;
        QVERIFY2(std::abs(gp.looLogPredictiveTerms()[i] - term) < 1e-6 * std::max(1.0, std::abs(term)),
                 qPrintable(QStringLiteral("point %1: %2 against %3").arg(i).arg(gp.looLogPredictiveTerms()[i]).arg(term)));
        total += term;
    }
    QVERIFY(std::abs(gp.looLogPredictive() - total) < 1e-6 * std::max(1.0, std::abs(total)));
    QVERIFY(std::isnan(looAdvantage(gp, GaussianProcess()))); // no terms to compare with
}

void TestGaussianProcess::looAdvantageFavoursLevelColumnsOnlyWhereValuesActApart() {
    // The rule BayesianStrategy's "auto" mode uses: the model with level columns only when it predicts
    // the observations clearly better (more than two standard errors) than the plain one. Where the block
    // size acts smoothly in its rank it must not; where only some block sizes are fast (as a block size
    // that is fast only at multiples of the wavefront), it must. The targets carry a little noise, as
    // measurements do (on exact data the comparison is one of noise floors, not of predictions).
    const ConfigSpace space = levelSpace();
    auto advantage = [&](const std::function<double(int, int)>& f) {
        std::mt19937_64 rng(29);
        std::normal_distribution<double> noise(0.0, 0.1); // measured run times are never exact
        Eigen::VectorXd y(space.size());
        for (qint64 i = 0; i < space.size(); ++i) {
            const auto v = space.valueIndices(i);
            y[i] = f(v[0], v[1]) + noise(rng);
        }
        const auto [withLevels, plain] = fitLevelModels(y, rng, true);
        return looAdvantage(withLevels, plain);
    };
    const double smooth = advantage([](int block, int tile) { return 0.4 * block + 0.3 * tile * tile; });
    QVERIFY2(smooth < 2.0, qPrintable(QStringLiteral("smooth: %1 standard errors").arg(smooth)));
    // Block sizes 16, 32, ..., 128 where only the multiples of 32 are fast: every other value.
    const double apart = advantage([](int block, int tile) { return 0.3 * tile * tile + (block % 2 == 0 ? 2.0 : 0.0); });
    QVERIFY2(apart > 2.0, qPrintable(QStringLiteral("values apart: %1 standard errors").arg(apart)));
}

void TestGaussianProcess::oneHotPredictionMatchesGeneralPath() {
    // A group of one-hot columns is predicted by comparing hot columns instead of multiplying them
    // out. Candidates that are not one-hot there take the general path, so predicting a set with
    // and without one such row must give the same answers for the shared rows.
    const ConfigSpace space = levelSpace();
    const ConfigEncoder encoder(space, true);
    const Eigen::MatrixXd L = encodeAll(encoder, space);
    std::mt19937_64 rng(24);
    std::vector<int> train;
    for (int i = 0; i < L.rows(); i += 3)
        train.push_back(i);
    const Eigen::MatrixXd X = L(train, Eigen::all);
    Eigen::VectorXd y(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const auto v = space.valueIndices(train[static_cast<size_t>(i)]);
        y[i] = std::sin(1.3 * v[0]) + (v[0] % 3 == 0 ? 0.8 : 0.0) + 0.2 * v[1];
    }
    GpOptions options;
    options.lengthScaleGroups = encoder.lengthScaleGroups();
    options.maxVariancePoints = 6; // exercise the variance subset's row order too
    GaussianProcess gp;
    gp.fit(X, y, rng, options);
    Eigen::VectorXd fastMean, fastVar, slowMean, slowVar;
    gp.predict(L, fastMean, fastVar);
    Eigen::MatrixXd withOdd(L.rows() + 1, L.cols());
    withOdd.topRows(L.rows()) = L;
    withOdd.row(L.rows()) = L.row(0);
    withOdd.row(L.rows()).segment(2, 8).setZero(); // no value hot: not one-hot
    gp.predict(withOdd, slowMean, slowVar);
    QVERIFY((fastMean - slowMean.head(L.rows())).cwiseAbs().maxCoeff() < 1e-9);
    QVERIFY((fastVar - slowVar.head(L.rows())).cwiseAbs().maxCoeff() < 1e-9);
    QVERIFY(fastMean.allFinite() && fastVar.allFinite());
    // And the model interpolates its training rows.
    QVERIFY((fastMean(train) - y).cwiseAbs().maxCoeff() < 0.05);
}

#include "tst_gaussianprocess.moc"

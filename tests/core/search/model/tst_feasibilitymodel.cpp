#include "search/model/FeasibilityModel.h"

#include <QtTest/QtTest>
#include <cmath>
#include <functional>

using namespace dv;

namespace {

using Constraint = std::function<bool(const Eigen::RowVectorXd&)>; // true = valid

Eigen::MatrixXd uniformPoints(int n, int d, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Eigen::MatrixXd X(n, d);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
            X(i, k) = u(rng);
    return X;
}

std::vector<bool> label(const Constraint& valid, const Eigen::MatrixXd& X) {
    std::vector<bool> out(static_cast<size_t>(X.rows()));
    for (Eigen::Index i = 0; i < X.rows(); ++i)
        out[static_cast<size_t>(i)] = valid(X.row(i));
    return out;
}

double accuracy(const FeasibilityModel& model, const Constraint& valid, const Eigen::MatrixXd& X) {
    const Eigen::VectorXd p = model.predict(X);
    int correct = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i)
        correct += (p[i] > 0.5) == valid(X.row(i)) ? 1 : 0;
    return static_cast<double>(correct) / static_cast<double>(X.rows());
}

// Shared-memory-like limit: BLOCK_M * BLOCK_K * stages too large. Each factor is a power of two
// encoded on [0,1] (16..256, 16..128, 1..5 stages), like the strategy's encoding of a matmul space.
bool sharedMemoryFits(const Eigen::RowVectorXd& x) {
    const double blockM = std::pow(2.0, 4.0 + std::round(4.0 * x[0]));
    const double blockK = std::pow(2.0, 4.0 + std::round(3.0 * x[1]));
    const double stages = 1.0 + std::round(4.0 * x[2]);
    return blockM * blockK * stages * 2.0 /* bytes */ * 2.0 /* A and B tiles */ <= 96.0 * 1024.0;
}

} // namespace

Q_DECLARE_METATYPE(Constraint)

class TestFeasibilityModel : public QObject {
    Q_OBJECT

private slots:
    void noFailuresMeansValidEverywhere();
    void allFailuresIsConstantAndLow();
    void learnsUnseenConstraint_data();
    void learnsUnseenConstraint();
    void confidentDeepInsideEachRegion();
    void irrelevantDimensionIsSmoothedOver();
    void subsamplingKeepsAccuracy();
    void keepsLengthScalesWhenNotRefitting();
    void predictsManyCandidates();
    void invalidUseThrows();
};

void TestFeasibilityModel::noFailuresMeansValidEverywhere() {
    std::mt19937_64 rng(1);
    FeasibilityModel model;
    model.fit(uniformPoints(30, 4, rng), std::vector<bool>(30, true), rng);
    QVERIFY(model.isFitted());
    QCOMPARE(model.failureCount(), 0);
    const Eigen::VectorXd p = model.predict(uniformPoints(1000, 4, rng));
    QCOMPARE(p.minCoeff(), 1.0);
    QCOMPARE(p.maxCoeff(), 1.0);
}

void TestFeasibilityModel::allFailuresIsConstantAndLow() {
    std::mt19937_64 rng(2);
    FeasibilityModel model;
    model.fit(uniformPoints(10, 3, rng), std::vector<bool>(10, false), rng);
    const Eigen::VectorXd p = model.predict(uniformPoints(50, 3, rng));
    QCOMPARE(p.minCoeff(), p.maxCoeff());
    QVERIFY(p[0] > 0.0 &&
            p[0] < 0.15); // (0 + 1) / (10 + 2): never exactly zero, nothing has been ruled out
}

void TestFeasibilityModel::learnsUnseenConstraint_data() {
    QTest::addColumn<int>("dims");
    QTest::addColumn<int>("points");
    QTest::addColumn<Constraint>("valid");
    QTest::addColumn<double>("minAccuracy");

    const Constraint halfPlane = [](const Eigen::RowVectorXd& x) { return x[0] + x[1] <= 1.2; };
    QTest::newRow("x0 + x1 > 1.2 fails, 2-D") << 2 << 80 << halfPlane << 0.85;
    QTest::newRow("x0 + x1 > 1.2 fails, 4-D with 2 irrelevant") << 4 << 80 << halfPlane << 0.85;
    QTest::newRow("disc of failures") << 2 << 120 << Constraint([](const Eigen::RowVectorXd& x) {
        return (x - Eigen::RowVector2d(0.4, 0.6)).norm() > 0.25;
    }) << 0.85;
    QTest::newRow("shared memory limit, 3-D") << 3 << 150 << Constraint(sharedMemoryFits) << 0.88;
}

void TestFeasibilityModel::learnsUnseenConstraint() {
    QFETCH(int, dims);
    QFETCH(int, points);
    QFETCH(Constraint, valid);
    QFETCH(double, minAccuracy);
    std::mt19937_64 rng(3);
    const Eigen::MatrixXd X = uniformPoints(points, dims, rng);
    FeasibilityModel model;
    model.fit(X, label(valid, X), rng);
    QVERIFY(model.failureCount() > 0);
    const Eigen::MatrixXd fresh = uniformPoints(4000, dims, rng);
    const double acc = accuracy(model, valid, fresh);
    // Guessing the majority class would already score this much; the model must beat it.
    int validCount = 0;
    for (Eigen::Index i = 0; i < fresh.rows(); ++i)
        validCount += valid(fresh.row(i)) ? 1 : 0;
    const double baseline = std::max(validCount, static_cast<int>(fresh.rows()) - validCount) /
                            static_cast<double>(fresh.rows());
    QVERIFY2(acc > minAccuracy,
             qPrintable(QStringLiteral("accuracy %1 (majority %2)").arg(acc).arg(baseline)));
    QVERIFY(acc > baseline + 0.01);
}

void TestFeasibilityModel::confidentDeepInsideEachRegion() {
    std::mt19937_64 rng(4);
    const Constraint valid = [](const Eigen::RowVectorXd& x) { return x[0] + x[1] <= 1.2; };
    const Eigen::MatrixXd X = uniformPoints(150, 2, rng);
    FeasibilityModel model;
    model.fit(X, label(valid, X), rng);
    // Along the diagonal from the valid corner to the failing one (the boundary is at 0.6).
    Eigen::MatrixXd probes(4, 2);
    probes << 0.1, 0.1, 0.4, 0.4, 0.8, 0.8, 0.95, 0.95;
    const Eigen::VectorXd p = model.predict(probes);
    QVERIFY2(p[0] > 0.9, qPrintable(QString::number(p[0])));
    QVERIFY2(p[1] > 0.8, qPrintable(QString::number(p[1])));
    QVERIFY2(p[2] < 0.3, qPrintable(QString::number(p[2])));
    QVERIFY2(p[3] < 0.2, qPrintable(QString::number(p[3])));
    QVERIFY((p.array() > 0.0).all() && (p.array() < 1.0).all());
}

void TestFeasibilityModel::irrelevantDimensionIsSmoothedOver() {
    std::mt19937_64 rng(5);
    const Constraint valid = [](const Eigen::RowVectorXd& x) { return x[0] < 0.6; };
    const Eigen::MatrixXd X = uniformPoints(120, 2, rng);
    FeasibilityModel model;
    model.fit(X, label(valid, X), rng);
    QVERIFY2(
        model.lengthScales()[1] > 3.0 * model.lengthScales()[0],
        qPrintable(QStringLiteral("%1 %2").arg(model.lengthScales()[0]).arg(model.lengthScales()[1])));
    QVERIFY(std::isfinite(model.looLogLikelihood()));
    QVERIFY(model.looLogLikelihood() < 0.0);
}

void TestFeasibilityModel::subsamplingKeepsAccuracy() {
    std::mt19937_64 rng(6);
    const Eigen::MatrixXd X = uniformPoints(600, 3, rng);
    FeasibilityModel model;
    FeasibilityOptions options;
    options.maxPoints = 128;
    model.fit(X, label(sharedMemoryFits, X), rng, options);
    QCOMPARE(model.observationCount(), 600);
    const double acc = accuracy(model, sharedMemoryFits, uniformPoints(4000, 3, rng));
    QVERIFY2(acc > 0.88, qPrintable(QStringLiteral("accuracy %1").arg(acc)));
}

void TestFeasibilityModel::keepsLengthScalesWhenNotRefitting() {
    std::mt19937_64 rng(7);
    const Constraint valid = [](const Eigen::RowVectorXd& x) { return x[0] + x[1] <= 1.2; };
    Eigen::MatrixXd X = uniformPoints(80, 2, rng);
    FeasibilityModel model;
    model.fit(X, label(valid, X), rng);
    const Eigen::VectorXd ls = model.lengthScales();
    X = uniformPoints(100, 2, rng);
    FeasibilityOptions options;
    options.refitLengthScales = false;
    model.fit(X, label(valid, X), rng, options);
    QVERIFY(model.lengthScales() == ls);
    QCOMPARE(model.observationCount(), 100);
    QVERIFY(accuracy(model, valid, uniformPoints(2000, 2, rng)) > 0.85);
}

void TestFeasibilityModel::predictsManyCandidates() {
    // Speed is measured in bench/bench_gaussian_process; here only that a large batch is answered
    // and agrees with the rule the model learnt.
    std::mt19937_64 rng(8);
    const Eigen::MatrixXd X = uniformPoints(500, 6, rng);
    const auto rule = [](const Eigen::RowVectorXd& x) { return x[0] * x[1] < 0.4; };
    FeasibilityModel model;
    model.fit(X, label(rule, X), rng);
    const Eigen::MatrixXd candidates = uniformPoints(20000, 6, rng);
    const Eigen::VectorXd p = model.predict(candidates);
    QCOMPARE(p.size(), Eigen::Index(20000));
    QVERIFY((p.array() >= 0.0).all() && (p.array() <= 1.0).all());
    int agree = 0;
    for (Eigen::Index i = 0; i < candidates.rows(); ++i)
        agree += (p[i] >= 0.5) == rule(candidates.row(i)) ? 1 : 0;
    QVERIFY2(agree > 0.85 * 20000, qPrintable(QString::number(agree)));
}

void TestFeasibilityModel::invalidUseThrows() {
    std::mt19937_64 rng(9);
    FeasibilityModel model;
    QVERIFY_THROWS_EXCEPTION(std::logic_error, model.predict(Eigen::MatrixXd::Zero(1, 2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             model.fit(Eigen::MatrixXd::Zero(3, 2), {true, false}, rng));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.fit(Eigen::MatrixXd(0, 2), {}, rng));
    model.fit(uniformPoints(4, 2, rng), {true, false, true, false}, rng);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.predict(Eigen::MatrixXd::Zero(1, 3)));
}

QTEST_GUILESS_MAIN(TestFeasibilityModel)
#include "tst_feasibilitymodel.moc"

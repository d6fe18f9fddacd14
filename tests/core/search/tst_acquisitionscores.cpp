#include "search/AcquisitionScores.h"

#include "base/Rng.h"

#include <QTest>

#include <cmath>

using namespace dv;

namespace {

struct Case {
    std::vector<qint64> candidates;
    Eigen::VectorXd mean, variance, p;
};

Case randomCase(quint64 seed, int n)
{
    Rng rng(seed);
    Case c;
    c.mean.resize(n);
    c.variance.resize(n);
    c.p.resize(n);
    for (int i = 0; i < n; ++i) {
        c.candidates.push_back(qint64(10 * i + 3));
        c.mean[i] = rng.uniform() * 2 - 1;
        c.variance[i] = rng.uniform() * 0.3;
        c.p[i] = rng.uniform() < 0.3 ? 0.01 : rng.uniform();
    }
    return c;
}

// The weighted acquisition of every row, computed directly.
double weightedDirect(double raw, double p, AcquisitionScores::Kind kind)
{
    if (kind != AcquisitionScores::Lcb)
        return raw * p;
    return raw > 0 ? raw * p : raw / std::max(p, 1e-3);
}

} // namespace

class TestAcquisitionScores : public QObject {
    Q_OBJECT

private slots:
    void lazyArgmaxEqualsTheFullOne_data();
    void lazyArgmaxEqualsTheFullOne();
    void withoutValidityEveryCandidateCountsAsValid();
    void validityIsAskedOnlyForCandidatesThatCanWin();
    void aFlatImprovementDefersToTheConfidenceBound();
};

void TestAcquisitionScores::lazyArgmaxEqualsTheFullOne_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("kind");
    for (int kind : {0, 1, 2}) {
        QTest::addRow("10 candidates, kind %d", kind) << quint64(1) << 10 << kind;
        QTest::addRow("300 candidates, kind %d", kind) << quint64(2) << 300 << kind;
        QTest::addRow("5000 candidates, kind %d", kind) << quint64(3) << 5000 << kind;
    }
}

void TestAcquisitionScores::lazyArgmaxEqualsTheFullOne()
{
    QFETCH(quint64, seed);
    QFETCH(int, n);
    QFETCH(int, kind);
    const Case c = randomCase(seed, n);
    const double best = -0.5;
    AcquisitionScores scores(c.candidates, c.mean, c.variance, best, 1.96, [&](const std::vector<Eigen::Index>& rows) {
        Eigen::VectorXd out(Eigen::Index(rows.size()));
        for (size_t k = 0; k < rows.size(); ++k)
            out[Eigen::Index(k)] = c.p[rows[k]];
        return out;
    });
    const auto k = AcquisitionScores::Kind(kind);
    Eigen::Index expected = -1;
    double top = -std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < n; ++i) {
        const double w = weightedDirect(scores.raw(k)[i], c.p[i], k);
        if (w > top) {
            top = w;
            expected = i;
        }
    }
    const Eigen::Index got = scores.argmaxWeighted(k);
    QCOMPARE(got, expected);
    QCOMPARE(scores.weighted(k, got), top);
    QCOMPARE(scores.candidates(), c.candidates);
}

void TestAcquisitionScores::withoutValidityEveryCandidateCountsAsValid()
{
    const Case c = randomCase(4, 200);
    AcquisitionScores scores(c.candidates, c.mean, c.variance, 0.0, 1.96, {});
    for (int kind : {0, 1, 2}) {
        const auto k = AcquisitionScores::Kind(kind);
        Eigen::Index top = 0;
        scores.raw(k).maxCoeff(&top);
        QCOMPARE(scores.argmaxWeighted(k), top);
        for (Eigen::Index i = 0; i < 200; i += 17)
            QCOMPARE(scores.weighted(k, i), scores.raw(k)[i]);
    }
}

void TestAcquisitionScores::validityIsAskedOnlyForCandidatesThatCanWin()
{
    // One candidate far better than the rest and surely valid: the feasibility model is asked
    // about the first stretch of candidates only, not all 5000.
    Case c = randomCase(5, 5000);
    c.mean[4321] = -10;
    c.variance[4321] = 0.01;
    c.p[4321] = 1.0;
    size_t asked = 0;
    AcquisitionScores scores(c.candidates, c.mean, c.variance, -1.0, 1.96, [&](const std::vector<Eigen::Index>& rows) {
        asked += rows.size();
        Eigen::VectorXd out(Eigen::Index(rows.size()));
        for (size_t k = 0; k < rows.size(); ++k)
            out[Eigen::Index(k)] = c.p[rows[k]];
        return out;
    });
    QCOMPARE(scores.argmaxWeighted(AcquisitionScores::Ei), Eigen::Index(4321));
    QVERIFY2(asked <= 256, qPrintable(QString::number(asked)));
    QVERIFY(asked >= 1);
}

void TestAcquisitionScores::aFlatImprovementDefersToTheConfidenceBound()
{
    // Everything predicted worse than the best with no uncertainty: EI and PI are zero everywhere
    // and would nominate arbitrarily, so they take the confidence bound's nominee.
    Eigen::VectorXd mean(4), variance = Eigen::VectorXd::Zero(4);
    mean << 3.0, 2.0, 5.0, 4.0;
    AcquisitionScores scores({7, 8, 9, 10}, mean, variance, 1.0, 1.96, {});
    QCOMPARE(scores.raw(AcquisitionScores::Ei).maxCoeff(), 0.0);
    const std::array<Eigen::Index, 3> nominee = scores.nominees();
    QCOMPARE(nominee[AcquisitionScores::Lcb], Eigen::Index(1)); // the lowest mean
    QCOMPARE(nominee[AcquisitionScores::Ei], Eigen::Index(1));
    QCOMPARE(nominee[AcquisitionScores::Pi], Eigen::Index(1));
}

QTEST_GUILESS_MAIN(TestAcquisitionScores)
#include "tst_acquisitionscores.moc"

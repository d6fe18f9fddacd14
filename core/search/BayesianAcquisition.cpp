// BayesianStrategy, part three: the acquisition portfolio. Expected improvement, probability of
// improvement and a lower confidence bound, weighted by p(valid), each nominate a candidate; GP-Hedge
// (Hoffman et al. 2011) picks one, favouring whichever has been nominating configurations the model
// now believes are fast.

#include "search/BayesianStrategy.h"

#include <algorithm>
#include <cmath>

namespace dv {

namespace {

constexpr double kLcbKappa = 1.96;
constexpr double kHedgeEta = 1.0;

} // namespace

AcquisitionScores BayesianStrategy::scoreCandidates(std::vector<qint64> cand, const HistorySummary& summary,
                                                    const SurrogateFit& fit, bool firstOfBatch)
{
    Eigen::MatrixXd Xc = encodeRows(cand);
    Eigen::VectorXd mean, variance;
    const GaussianProcess& model = fit.plainModel ? m_gpPlain : m_gp;
    if (fit.plainModel)
        model.predict(feasibilityColumns(Xc), mean, variance);
    else
        model.predict(Xc, mean, variance);

    if (summary.anyFailure && firstOfBatch)
        fitFeasibility(summary);
    AcquisitionScores::Validity validity;
    if (summary.anyFailure && m_feasibility.isFitted()) {
        validity = [this, Xc = std::move(Xc)](const std::vector<Eigen::Index>& rows) {
            return m_feasibility.predict(feasibilityColumns(Xc(rows, Eigen::all)));
        };
    }
    return AcquisitionScores(std::move(cand), mean, variance, fit.bestScore, kLcbKappa, std::move(validity));
}

Eigen::Index BayesianStrategy::hedgePick(AcquisitionScores& scores, const SurrogateFit& fit, bool& hedgeUpdated,
                                         bool firstOfBatch)
{
    // GP-Hedge: reward each acquisition by the model's current belief about what it nominated.
    if (!hedgeUpdated) {
        hedgeUpdated = true;
        const Eigen::VectorXd& y = fit.y;
        const GaussianProcess& model = fit.plainModel ? m_gpPlain : m_gp;
        double scale = 0;
        const double meanY = y.mean();
        for (Eigen::Index i = 0; i < y.size(); ++i)
            scale += (y[i] - meanY) * (y[i] - meanY);
        scale = std::sqrt(scale / std::max<Eigen::Index>(1, y.size() - 1)) + 1e-9;
        for (size_t a = 0; a < m_lastNominees.size(); ++a) {
            if (m_lastNominees[a] < 0)
                continue;
            Eigen::VectorXd mu, var;
            const Eigen::MatrixXd row = encodeRows({m_lastNominees[a]});
            model.predict(fit.plainModel ? feasibilityColumns(row) : row, mu, var);
            m_gains[a] += -(mu[0] - meanY) / scale;
        }
    }

    const std::array<Eigen::Index, 3> nominee = scores.nominees();
    const double top = *std::max_element(m_gains.begin(), m_gains.end());
    std::array<double, 3> weight{};
    double total = 0;
    for (size_t a = 0; a < 3; ++a)
        total += weight[a] = std::exp(kHedgeEta * (m_gains[a] - top));
    double u = std::uniform_real_distribution<double>(0.0, total)(m_engine);
    size_t arm = 0;
    while (arm < 2 && u > weight[arm]) {
        u -= weight[arm];
        ++arm;
    }
    if (firstOfBatch) {
        for (size_t a = 0; a < 3; ++a)
            m_lastNominees[a] = scores.candidates()[size_t(nominee[a])];
    }
    return nominee[arm];
}

} // namespace dv

#include "search/AcquisitionScores.h"

#include "search/model/Acquisition.h"

#include <algorithm>
#include <limits>

namespace dv {

AcquisitionScores::AcquisitionScores(std::vector<qint64> candidates, const Eigen::VectorXd& mean,
                                     const Eigen::VectorXd& variance, double best, double lcbKappa,
                                     Validity validity)
    : m_candidates(std::move(candidates))
    , m_ei(expectedImprovement(mean, variance, best))
    , m_pi(probabilityOfImprovement(mean, variance, best))
    , m_lcb((best - lowerConfidenceBound(mean, variance, lcbKappa).array()).matrix())
    , m_pValid(Eigen::VectorXd::Ones(mean.size()))
    , m_validity(std::move(validity))
{
    if (m_validity)
        m_pValid.setConstant(-1.0); // not computed yet
}

void AcquisitionScores::ensureValidity(const std::vector<Eigen::Index>& rows)
{
    if (!m_validity)
        return;
    std::vector<Eigen::Index> missing;
    for (Eigen::Index r : rows)
        if (m_pValid[r] < 0)
            missing.push_back(r);
    if (missing.empty())
        return;
    const Eigen::VectorXd p = m_validity(missing);
    for (size_t k = 0; k < missing.size(); ++k)
        m_pValid[missing[k]] = p[Eigen::Index(k)];
}

double AcquisitionScores::weighted(Kind kind, Eigen::Index i) const
{
    const double v = raw(kind)[i];
    const double p = m_pValid[i];
    if (kind < Lcb)
        return v * p;
    return v > 0 ? v * p : v / std::max(p, 1e-3);
}

Eigen::Index AcquisitionScores::argmaxWeighted(Kind kind)
{
    const Eigen::VectorXd& r = raw(kind);
    const Eigen::Index n = r.size();
    std::vector<Eigen::Index> order(static_cast<size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i)
        order[size_t(i)] = i;
    auto before = [&](Eigen::Index a, Eigen::Index b) { return r[a] > r[b] || (r[a] == r[b] && a < b); };
    constexpr Eigen::Index kChunk = 256;
    Eigen::Index sorted = 0, bestIndex = -1;
    double bestValue = -std::numeric_limits<double>::infinity();
    for (Eigen::Index pos = 0; pos < n; pos += kChunk) {
        const Eigen::Index end = std::min(n, pos + kChunk);
        if (end > sorted) { // sort lazily: the next stretch in order of the unweighted value
            const Eigen::Index upto = std::min(n, std::max(end, 4 * sorted));
            std::partial_sort(order.begin() + sorted, order.begin() + upto, order.end(), before);
            sorted = upto;
        }
        if (bestIndex >= 0 && r[order[size_t(pos)]] < bestValue)
            break;
        ensureValidity(std::vector<Eigen::Index>(order.begin() + pos, order.begin() + end));
        for (Eigen::Index k = pos; k < end; ++k) {
            const Eigen::Index i = order[size_t(k)];
            const double w = weighted(kind, i);
            if (w > bestValue || (w == bestValue && i < bestIndex)) {
                bestValue = w;
                bestIndex = i;
            }
        }
    }
    return bestIndex;
}

std::array<Eigen::Index, 3> AcquisitionScores::nominees()
{
    std::array<Eigen::Index, 3> nominee{};
    nominee[Lcb] = argmaxWeighted(Lcb);
    nominee[Ei] = m_ei.maxCoeff() > 0 ? argmaxWeighted(Ei) : nominee[Lcb];
    nominee[Pi] = m_pi.maxCoeff() > 0 ? argmaxWeighted(Pi) : nominee[Lcb];
    return nominee;
}

} // namespace dv

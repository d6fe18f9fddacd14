#pragma once

#include <QtGlobal>

#include <Eigen/Dense>

#include <array>
#include <functional>
#include <vector>

namespace dv {

/// The acquisition values of one proposal's candidates (expected improvement, probability of
/// improvement and a lower confidence bound below the best), weighted by the probability that a
/// candidate runs at all.
///
/// p(valid) is computed lazily, only for the candidates that can still win: every weighted
/// acquisition is at most its unweighted value (p <= 1), so candidates are visited in order of the
/// unweighted value until it falls below the best weighted one. The choice is the same as weighting
/// every candidate (ties go to the lower index, as with maxCoeff), at a fraction of the cost of the
/// feasibility model over 20,000 candidates (a quarter of a proposal before).
class AcquisitionScores {
public:
    enum Kind { Ei = 0, Pi = 1, Lcb = 2 };
    /// p(valid) of the given candidate rows.
    using Validity = std::function<Eigen::VectorXd(const std::vector<Eigen::Index>& rows)>;

    /// `mean` and `variance` are the surrogate's posterior at each candidate, `best` the best
    /// (lowest) training target; an empty `validity` counts every candidate as valid.
    AcquisitionScores(std::vector<qint64> candidates, const Eigen::VectorXd& mean, const Eigen::VectorXd& variance,
                      double best, double lcbKappa, Validity validity);

    const std::vector<qint64>& candidates() const { return m_candidates; }
    const Eigen::VectorXd& raw(Kind kind) const { return kind == Ei ? m_ei : kind == Pi ? m_pi : m_lcb; }
    /// Makes sure p(valid) is known for these rows.
    void ensureValidity(const std::vector<Eigen::Index>& rows);
    /// An improvement over the best scaled by p(valid), a shortfall (LCB only) divided by it; the rows
    /// must have had ensureValidity().
    double weighted(Kind kind, Eigen::Index row) const;
    /// The row with the largest weighted value of this kind (the lowest row on a tie), or -1.
    Eigen::Index argmaxWeighted(Kind kind);
    /// The nominee of each acquisition; a flat EI or PI (everything predicted worse than the best with
    /// no uncertainty) would nominate arbitrarily, so it defers to the confidence bound.
    std::array<Eigen::Index, 3> nominees();

private:
    std::vector<qint64> m_candidates;
    Eigen::VectorXd m_ei, m_pi, m_lcb;
    Eigen::VectorXd m_pValid; // -1: not computed yet
    Validity m_validity;
};

} // namespace dv

#pragma once

#include "analysis/Landscape.h"
#include "analysis/Portability.h"

#include <QtGlobal>

#include <limits>
#include <vector>

namespace dv {

/// An estimate of a portability cell nobody measured: GPU i's best configuration on GPU j,
/// predicted by a surrogate of GPU j's landscape. It is a guess, shown as one until the
/// configuration is measured (CrossCheck).
struct EstimatedSlowdown {
    double slowdown = std::numeric_limits<double>::quiet_NaN(); ///< predicted time / GPU j's best
    double low = std::numeric_limits<double>::quiet_NaN();      ///< 95 % interval of the prediction
    double high = std::numeric_limits<double>::quiet_NaN();
    int observations = 0; ///< GPU j's ok configurations the surrogate was fitted on

    bool isValid() const { return slowdown == slowdown; }
};

/// Surrogate estimates for the cells of a Portability matrix that are unmeasured (a session's
/// landscape that never ran the other GPU's best configuration): a Gaussian process (the one
/// bayes searches with, Matern 5/2 over the encoded configuration) fitted to the logarithm of the
/// times GPU j measured, evaluated at GPU i's best configuration. A cell gets no estimate when
/// it was measured (or failed), the configuration is not in GPU j's space, or GPU j has fewer
/// than kMinObservations ok configurations to learn from.
class PortabilityEstimate {
public:
    static constexpr int kMinObservations = 8;

    /// `landscapes` as given to Portability::compute, which gave `matrix`. Deterministic for a seed.
    static PortabilityEstimate compute(const std::vector<Landscape>& landscapes, const Portability& matrix,
                                       quint64 seed = 1);

    int size() const { return m_size; }
    const EstimatedSlowdown& at(int i, int j) const { return m_cells[size_t(i) * size_t(m_size) + size_t(j)]; }
    /// True when any cell has an estimate.
    bool any() const;

private:
    int m_size = 0;
    std::vector<EstimatedSlowdown> m_cells;
};

} // namespace dv

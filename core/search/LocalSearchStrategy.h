#pragma once

#include "search/Strategy.h"
#include "space/Neighbourhood.h"

#include <memory>

namespace dv {

/// Greedy iterated local search: evaluates the untried neighbours of the best configuration so
/// far (one-step neighbours first, then any single-parameter change); when they are exhausted,
/// perturbs the incumbent by a short random walk, or restarts at a random configuration.
/// Each proposal is a function of the seed and the history only, so a resumed session continues
/// the same search.
class LocalSearchStrategy : public Strategy {
public:
    QString name() const override { return QStringLiteral("local"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;

private:
    std::unique_ptr<Neighbourhood> m_neighbourhood;
    quint64 m_seed = 0;
};

} // namespace dv

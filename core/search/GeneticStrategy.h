#pragma once

#include "search/Strategy.h"
#include "space/Neighbourhood.h"

#include <memory>

namespace dv {

/// A steady-state genetic algorithm: after a random first generation, each proposal is a child
/// of two parents chosen by tournament among the best configurations so far (uniform crossover,
/// then mutation by one-step moves), repaired into an untried valid configuration. Failed
/// configurations never become parents. Proposals depend on the seed and history only.
class GeneticStrategy : public Strategy {
public:
    QString name() const override { return QStringLiteral("genetic"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;

private:
    qint64 breed(const SearchHistory& history, const std::vector<qint64>& batch, quint64 seed) const;
    std::unique_ptr<Neighbourhood> m_neighbourhood;
    quint64 m_seed = 0;
    int m_population = 20;
};

} // namespace dv

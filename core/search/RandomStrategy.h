#pragma once

#include "base/Rng.h"
#include "search/Strategy.h"

#include <unordered_map>

namespace dv {

/// Uniform sampling without replacement: a seeded random permutation of the valid
/// configurations, drawn lazily so that huge spaces cost memory only for what is drawn.
class RandomStrategy : public Strategy {
public:
    QString name() const override { return QStringLiteral("random"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;

private:
    qint64 next();
    Rng m_rng;
    qint64 m_size = 0;
    qint64 m_drawn = 0;
    // Sparse Fisher-Yates: only the swapped positions are stored.
    std::unordered_map<qint64, qint64> m_swapped;
};

} // namespace dv

#pragma once

#include "search/SearchHistory.h"
#include "space/ConfigSpace.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace dv {

/// A search strategy: proposes which configurations to evaluate next, given what has been seen.
///
/// Strategies are deterministic for a given seed and history, which is what makes a stopped
/// session resumable (a new instance with the same seed, fed the stored history, continues the
/// same search) and benchmarks reproducible.
class Strategy {
public:
    virtual ~Strategy() = default;
    virtual QString name() const = 0;
    /// Called once before the first proposal.
    virtual void initialize(const ConfigSpace& space, quint64 seed) = 0;
    /// Up to `maxCount` distinct indices that are not taken in `history` (neither evaluated nor
    /// pending). Fewer, or none, means the strategy has nothing more to propose.
    virtual std::vector<qint64> propose(const SearchHistory& history, int maxCount) = 0;
    /// What the seed and the history do not determine (adaptive statistics, the random engine, the
    /// warm start of model fits), so that a resumed search proposes exactly what an uninterrupted
    /// one would: store it with each trial and hand it to restoreState() after initialize(). Empty
    /// for strategies whose proposals depend on the seed and history only.
    virtual QJsonObject saveState() const { return {}; }
    /// Restores a saveState() result; call after initialize(). Returns false, leaving the freshly
    /// initialised state, if the state does not belong to this strategy and space.
    virtual bool restoreState(const QJsonObject& state) { return state.isEmpty(); }
};

} // namespace dv

#pragma once

#include "base/Rng.h"
#include "search/SearchHistory.h"

#include <algorithm>
#include <vector>

namespace dv {

/// A per-proposal seed: proposals depend on the session seed and the history length only, so a
/// resumed session draws the same numbers as one that never stopped.
inline quint64 proposalSeed(quint64 seed, int historyLength)
{
    quint64 z = seed * 0x9E3779B97F4A7C15ULL + quint64(historyLength) + 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// A uniformly chosen configuration that is neither taken in the history nor in `also`, or -1.
inline qint64 randomUntaken(const SearchHistory& history, Rng& rng, const std::vector<qint64>& also = {})
{
    auto taken = [&](qint64 i) { return history.isTaken(i) || std::find(also.begin(), also.end(), i) != also.end(); };
    const qint64 n = history.spaceSize();
    const qint64 free = n - history.takenCount() - qint64(also.size());
    if (free <= 0)
        return -1;
    // Rejection sampling while the space is mostly free, a scan otherwise.
    if (free * 4 >= n) {
        for (;;) {
            const qint64 i = qint64(rng.below(quint64(n)));
            if (!taken(i))
                return i;
        }
    }
    qint64 k = qint64(rng.below(quint64(free)));
    for (qint64 i = 0; i < n; ++i) {
        if (!taken(i) && k-- == 0)
            return i;
    }
    return -1;
}

} // namespace dv

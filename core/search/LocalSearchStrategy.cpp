#include "search/LocalSearchStrategy.h"

#include "base/Rng.h"
#include "search/StrategyUtil.h"

#include <algorithm>

namespace dv {

void LocalSearchStrategy::initialize(const ConfigSpace& space, quint64 seed)
{
    m_neighbourhood = std::make_unique<Neighbourhood>(space);
    m_seed = seed;
}

std::vector<qint64> LocalSearchStrategy::propose(const SearchHistory& history, int maxCount)
{
    std::vector<qint64> out;
    // Proposals of this batch count as taken too.
    auto taken = [&](qint64 i) { return history.isTaken(i) || std::find(out.begin(), out.end(), i) != out.end(); };
    Rng rng(proposalSeed(m_seed, history.count()));
    while (int(out.size()) < maxCount && history.takenCount() + qint64(out.size()) < history.spaceSize()) {
        qint64 pick = -1;
        const auto best = history.best();
        if (best) {
            std::vector<qint64> candidates;
            for (qint64 n : m_neighbourhood->adjacent(best->index))
                if (!taken(n))
                    candidates.push_back(n);
            if (candidates.empty()) {
                for (qint64 n : m_neighbourhood->hamming(best->index))
                    if (!taken(n))
                        candidates.push_back(n);
            }
            if (!candidates.empty()) {
                pick = candidates[size_t(rng.below(candidates.size()))];
            } else {
                // Local optimum: a random walk of a few steps away from it.
                qint64 at = best->index;
                for (int step = 0; step < 8 && pick < 0; ++step) {
                    const auto next = m_neighbourhood->hamming(at);
                    if (next.empty())
                        break;
                    at = next[size_t(rng.below(next.size()))];
                    if (step >= 1 && !taken(at))
                        pick = at;
                }
            }
        }
        if (pick < 0)
            pick = randomUntaken(history, rng, out);
        if (pick < 0)
            break;
        out.push_back(pick);
    }
    return out;
}

} // namespace dv

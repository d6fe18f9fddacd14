#include "search/RandomStrategy.h"

namespace dv {

void RandomStrategy::initialize(const ConfigSpace& space, quint64 seed)
{
    m_rng = Rng(seed);
    m_size = space.size();
    m_drawn = 0;
    m_swapped.clear();
}

qint64 RandomStrategy::next()
{
    auto at = [this](qint64 i) {
        auto it = m_swapped.find(i);
        return it == m_swapped.end() ? i : it->second;
    };
    const qint64 j = m_drawn + qint64(m_rng.below(quint64(m_size - m_drawn)));
    const qint64 chosen = at(j);
    m_swapped[j] = at(m_drawn);
    m_swapped.erase(m_drawn);
    ++m_drawn;
    return chosen;
}

std::vector<qint64> RandomStrategy::propose(const SearchHistory& history, int maxCount)
{
    std::vector<qint64> out;
    // Configurations already taken (answered from the store, or evaluated before a resume) are
    // skipped, so a resumed search draws the same sequence as one that was never interrupted.
    while (m_drawn < m_size && int(out.size()) < maxCount) {
        const qint64 candidate = next();
        if (!history.isTaken(candidate))
            out.push_back(candidate);
    }
    return out;
}

} // namespace dv

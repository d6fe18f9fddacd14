#include "search/SearchHistory.h"

#include <algorithm>
#include <cmath>

namespace dv {

SearchHistory::SearchHistory(qint64 spaceSize)
    : m_spaceSize(spaceSize)
    , m_state(size_t(spaceSize), 0)
{
}

void SearchHistory::add(const Observation& observation)
{
    Q_ASSERT(observation.index >= 0 && observation.index < m_spaceSize);
    std::uint8_t& s = m_state[size_t(observation.index)];
    if (s == 0)
        ++m_taken;
    if (s == 1)
        m_pending.erase(std::find(m_pending.begin(), m_pending.end(), observation.index));
    s = 2;
    m_observations.push_back(observation);
    // An ok status without a finite time (a worker that reported no samples) is no candidate:
    // a NaN best would compare false against every later value and hide all improvements.
    if (observation.ok() && std::isfinite(observation.objectiveMs)
        && (m_bestPosition < 0 || observation.objectiveMs < m_observations[size_t(m_bestPosition)].objectiveMs))
        m_bestPosition = qint64(m_observations.size()) - 1;
}

void SearchHistory::markPending(qint64 index)
{
    std::uint8_t& s = m_state[size_t(index)];
    if (s == 0) {
        s = 1;
        ++m_taken;
        m_pending.push_back(index);
    }
}

void SearchHistory::markExcluded(qint64 index)
{
    std::uint8_t& s = m_state[size_t(index)];
    if (s == 0) {
        s = 3;
        ++m_taken;
    }
}

void SearchHistory::unmarkPending(qint64 index)
{
    std::uint8_t& s = m_state[size_t(index)];
    if (s == 1) {
        s = 0;
        --m_taken;
        m_pending.erase(std::find(m_pending.begin(), m_pending.end(), index));
    }
}

bool SearchHistory::isTaken(qint64 index) const { return m_state[size_t(index)] != 0; }
bool SearchHistory::isEvaluated(qint64 index) const { return m_state[size_t(index)] == 2; }

std::optional<Observation> SearchHistory::best() const
{
    if (m_bestPosition < 0)
        return std::nullopt;
    return m_observations[size_t(m_bestPosition)];
}

} // namespace dv

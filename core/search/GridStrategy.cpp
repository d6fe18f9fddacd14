#include "search/GridStrategy.h"

namespace dv {

void GridStrategy::initialize(const ConfigSpace& space, quint64)
{
    m_size = space.size();
    m_cursor = 0;
}

std::vector<qint64> GridStrategy::propose(const SearchHistory& history, int maxCount)
{
    std::vector<qint64> out;
    // Taken configurations never become free again, so the cursor only moves forward.
    while (m_cursor < m_size && int(out.size()) < maxCount) {
        if (!history.isTaken(m_cursor))
            out.push_back(m_cursor);
        ++m_cursor;
    }
    return out;
}

} // namespace dv

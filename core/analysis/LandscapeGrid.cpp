#include "analysis/LandscapeGrid.h"

#include <cmath>
#include <limits>

namespace dv {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

Result<LandscapeGrid> LandscapeGrid::create(const ConfigSpace& space, int xParameter, int yParameter)
{
    const int d = space.dimensions();
    if (xParameter < 0 || xParameter >= d || yParameter < 0 || yParameter >= d)
        return Error{QStringLiteral("landscape grid: parameter index out of range (the space has %1 parameters)").arg(d)};
    if (xParameter == yParameter)
        return Error{QStringLiteral("landscape grid: choose two different parameters (both are '%1')")
                         .arg(space.parameters()[xParameter].name)};
    LandscapeGrid g;
    g.m_space = space;
    g.m_x = xParameter;
    g.m_y = yParameter;
    g.m_xValues = space.parameters()[xParameter].values;
    g.m_yValues = space.parameters()[yParameter].values;
    const size_t n = size_t(g.m_xValues.size()) * size_t(g.m_yValues.size());
    g.m_cells.assign(n, Cell::Invalid);
    g.m_bestMs.assign(n, kNaN);
    g.m_bestIndex.assign(n, -1);
    g.m_minMs = g.m_maxMs = kNaN;
    // One pass over the valid set tells which cells the constraints leave empty; that is the
    // difference between "nothing can run here" and "not measured yet".
    for (qint64 i = 0; i < space.size(); ++i) {
        const std::vector<int> v = space.valueIndices(i);
        g.m_cells[g.at(v[size_t(xParameter)], v[size_t(yParameter)])] = Cell::Unmeasured;
    }
    return g;
}

Result<LandscapeGrid> LandscapeGrid::fromLandscape(const Landscape& landscape, int xParameter, int yParameter)
{
    auto grid = create(landscape.space, xParameter, yParameter);
    if (!grid)
        return grid;
    // A configuration a session never measured leaves its cell Unmeasured, not Failed.
    for (qint64 i = 0; i < landscape.size(); ++i)
        if (landscape.isMeasured(i))
            grid->add(i, landscape.status[size_t(i)], landscape.objectiveMs[size_t(i)]);
    return grid;
}

Result<LandscapeGrid> LandscapeGrid::fromTrials(const ConfigSpace& space, const QVector<Trial>& trials,
                                                int xParameter, int yParameter)
{
    auto grid = create(space, xParameter, yParameter);
    if (!grid)
        return grid;
    for (const Trial& t : trials)
        grid->addTrial(t);
    return grid;
}

void LandscapeGrid::add(qint64 spaceIndex, Status status, double objectiveMs)
{
    if (spaceIndex < 0 || spaceIndex >= m_space.size())
        return;
    const std::vector<int> v = m_space.valueIndices(spaceIndex);
    const size_t c = at(v[size_t(m_x)], v[size_t(m_y)]);
    if (status == Status::Ok && std::isfinite(objectiveMs)) {
        const bool wasOk = m_cells[c] == Cell::Ok;
        if (wasOk && !(objectiveMs < m_bestMs[c]))
            return;
        const double previous = m_bestMs[c];
        m_cells[c] = Cell::Ok;
        m_bestMs[c] = objectiveMs;
        m_bestIndex[c] = spaceIndex;
        // The colour scale spans cell bests, not all times: a cell shows only its best. Only
        // when the slowest cell got faster must the maximum be searched again; otherwise an
        // update costs O(1), which keeps a live 64x64 grid cheap.
        if (!(objectiveMs >= m_minMs))
            m_minMs = objectiveMs;
        if (!wasOk) {
            if (!(objectiveMs <= m_maxMs))
                m_maxMs = objectiveMs;
        } else if (previous == m_maxMs) {
            m_maxMs = kNaN;
            for (size_t k = 0; k < m_cells.size(); ++k) {
                if (m_cells[k] == Cell::Ok && !(m_bestMs[k] <= m_maxMs))
                    m_maxMs = m_bestMs[k];
            }
        }
    } else if (m_cells[c] != Cell::Ok) {
        if (m_cells[c] != Cell::Failed)
            m_bestIndex[c] = spaceIndex;
        m_cells[c] = Cell::Failed;
    }
}

void LandscapeGrid::addTrial(const Trial& trial)
{
    qint64 index = trial.spaceIndex;
    if (index < 0 || index >= m_space.size() || m_space.key(index) != trial.configKey)
        index = m_space.indexOf(trial.config);
    add(index, trial.measurement.isOk() ? Status::Ok : trial.measurement.status, trial.measurement.objectiveMs);
}

int LandscapeGrid::count(Cell state) const
{
    int n = 0;
    for (Cell c : m_cells)
        n += c == state ? 1 : 0;
    return n;
}

} // namespace dv

#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"
#include "base/Status.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QJsonValue>
#include <QVector>

#include <vector>

namespace dv {

/// A heat map of a configuration space over two chosen parameters: each cell holds the best time
/// over all other parameters. The grid is filled incrementally (add()), so a live view can follow
/// a session without rebuilding it, or in one go from a landscape or a list of trials.
class LandscapeGrid {
public:
    /// Why a cell has no time (or that it has one).
    enum class Cell {
        Ok,         ///< at least one configuration of the cell ran; bestMs() is its fastest
        Failed,     ///< configurations of the cell were measured, none ran
        Invalid,    ///< no valid configuration of the space falls in the cell (constraints)
        Unmeasured, ///< valid configurations exist but none has been measured yet
    };

    LandscapeGrid() = default;
    /// An empty grid: every cell Unmeasured or Invalid. Fails when a parameter index is out of
    /// range or both are the same parameter.
    static Result<LandscapeGrid> create(const ConfigSpace& space, int xParameter, int yParameter);
    static Result<LandscapeGrid> fromLandscape(const Landscape& landscape, int xParameter, int yParameter);
    static Result<LandscapeGrid> fromTrials(const ConfigSpace& space, const QVector<Trial>& trials,
                                            int xParameter, int yParameter);

    /// Adds one measured configuration (given by space index). Non-ok statuses mark the cell
    /// Failed unless some other configuration in it ran.
    void add(qint64 spaceIndex, Status status, double objectiveMs);
    /// Adds a trial; one whose configuration is not in the space is ignored.
    void addTrial(const Trial& trial);

    int xParameter() const { return m_x; }
    int yParameter() const { return m_y; }
    int columns() const { return int(m_xValues.size()); }
    int rows() const { return int(m_yValues.size()); }
    const QVector<QJsonValue>& xValues() const { return m_xValues; }
    const QVector<QJsonValue>& yValues() const { return m_yValues; }

    Cell cell(int column, int row) const { return m_cells[at(column, row)]; }
    /// The cell's best time; NaN unless the cell is Ok.
    double bestMs(int column, int row) const { return m_bestMs[at(column, row)]; }
    /// Space index of the cell's best configuration (or of its first failure); -1 if none.
    qint64 bestIndex(int column, int row) const { return m_bestIndex[at(column, row)]; }
    /// Fastest and slowest cell times (the colour scale); NaN while no cell is Ok.
    double minMs() const { return m_minMs; }
    double maxMs() const { return m_maxMs; }
    int count(Cell state) const;

private:
    size_t at(int column, int row) const { return size_t(row) * size_t(m_xValues.size()) + size_t(column); }
    ConfigSpace m_space;
    int m_x = -1;
    int m_y = -1;
    QVector<QJsonValue> m_xValues;
    QVector<QJsonValue> m_yValues;
    std::vector<Cell> m_cells;
    std::vector<double> m_bestMs;
    std::vector<qint64> m_bestIndex;
    double m_minMs;
    double m_maxMs;
};

} // namespace dv

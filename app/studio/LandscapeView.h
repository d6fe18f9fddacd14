#pragma once

#include "ConfigSpace.h"
#include "LandscapeGrid.h"

#include <QWidget>

class QComboBox;
class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QLabel;
class QMouseEvent;

namespace dv::studio {

/// The landscape as a heat map over two parameters the user picks: each cell the best time over
/// the other parameters (LandscapeGrid, computed in core), on a logarithmic colour scale.
/// Cells without a time are drawn in fixed colours below the map: failed, or invalid (excluded
/// by constraints); cells not measured yet stay empty. Hovering a cell shows its best configuration.
class LandscapeView : public QWidget {
    Q_OBJECT
public:
    explicit LandscapeView(QWidget* parent = nullptr);

    /// Fills the parameter pickers (defaulting to the first two parameters that vary) and emits
    /// axesChanged() so the owner builds a grid.
    void setSpace(const ConfigSpace& space);
    void setGrid(const LandscapeGrid& grid);
    int xParameter() const;
    int yParameter() const;

    QCustomPlot* plot() const { return m_plot; }

signals:
    void axesChanged(int xParameter, int yParameter);

private:
    void onAxisPicked();
    void showCellToolTip(QMouseEvent* event);

    ConfigSpace m_space;
    LandscapeGrid m_grid;
    QComboBox* m_xCombo;
    QComboBox* m_yCombo;
    QCustomPlot* m_plot;
    QCPColorMap* m_states;
    QCPColorMap* m_times;
    QCPColorScale* m_scale;
    QLabel* m_summary;
};

} // namespace dv::studio

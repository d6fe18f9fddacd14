#pragma once

#include "analysis/LandscapeGrid.h"
#include "space/ConfigSpace.h"

#include <QPoint>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QLabel;
class QMouseEvent;

namespace dv::studio {

/// The landscape as a heat map over two parameters the user picks: each cell the best time over
/// the other parameters (LandscapeGrid, computed in core), on a logarithmic colour scale.
/// Cells without a time are drawn in fixed colours below the map: failed, or invalid (excluded
/// by constraints); cells not measured yet stay empty. Hovering a cell shows its best configuration; clicking it selects it
/// (configurationClicked) and outlines the cell.
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
    /// Picks the two parameters (emits axesChanged() when they differ).
    void setAxes(int xParameter, int yParameter);
    /// Hides the parameter pickers (a comparison drives several views from one pair).
    void setPickersVisible(bool visible);
    /// Fixes the colour scale to [loMs, hiMs] (several views sharing one scale); NaN: the grid's
    /// own range.
    void setColorRange(double loMs, double hiMs);
    double colorLow() const;
    double colorHigh() const;
    /// A line above the map ("A100"); empty hides it.
    void setTitle(const QString& title);
    /// Marks a cell as selected (-1, -1: none), as a click does, without emitting.
    void setSelectedCell(int column, int row);
    int selectedColumn() const { return m_selColumn; }
    int selectedRow() const { return m_selRow; }
    /// Outlines the cell holding this configuration (a trial selected elsewhere); returns false
    /// when the configuration is not in the space.
    bool showConfiguration(const QJsonObject& config);
    /// The cell under a widget position of the plot, as {column, row}; {-1, -1} outside.
    QPoint cellAt(const QPointF& plotPosition) const;
    const LandscapeGrid& grid() const { return m_grid; }

    QCustomPlot* plot() const { return m_plot; }
    /// The colour bar (a log scale labelled at both ends).
    QCPColorScale* colorScale() const { return m_scale; }

signals:
    void axesChanged(int xParameter, int yParameter);
    /// A click on a cell with a measured configuration: the key of its best (or failed) one.
    void configurationClicked(const QString& configKey);

protected:
    void changeEvent(QEvent* event) override;

private:
    void onAxisPicked();
    void showCellToolTip(QMouseEvent* event);
    void onPress(QMouseEvent* event);
    void placeSelection();

    ConfigSpace m_space;
    LandscapeGrid m_grid;
    QComboBox* m_xCombo;
    QComboBox* m_yCombo;
    QCustomPlot* m_plot;
    QCPColorMap* m_states;
    QCPColorMap* m_times;
    QCPColorScale* m_scale;
    QLabel* m_summary;
    QLabel* m_titleLabel;
    QWidget* m_pickers;
    QCPItemRect* m_selection;
    int m_selColumn = -1;
    int m_selRow = -1;
    double m_fixedLo;
    double m_fixedHi;
};

} // namespace dv::studio

#pragma once

#include <QPalette>

class QCustomPlot;

namespace dv::studio {

/// Colours a QCustomPlot from a widget palette (QCustomPlot draws white with black axes whatever
/// the theme): background, axes, tick labels, grids, legends, colour scales and titles. Views call
/// it when built and on QEvent::PaletteChange, so plots follow a dark palette too. Data colours
/// (status colours, viridis) are left alone; they were chosen to read on both.
void applyPlotTheme(QCustomPlot* plot, const QPalette& palette);

/// True when the palette's window is dark (lightness below one half).
bool isDarkPalette(const QPalette& palette);

} // namespace dv::studio

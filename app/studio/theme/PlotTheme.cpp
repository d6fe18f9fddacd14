#include "theme/PlotTheme.h"

#include <qcustomplot.h>

namespace dv::studio {

namespace {

void themeAxis(QCPAxis* axis, const QColor& text, const QColor& grid, const QColor& subGrid)
{
    const QPen pen(text, 1);
    axis->setBasePen(pen);
    axis->setTickPen(pen);
    axis->setSubTickPen(pen);
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
    axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    axis->grid()->setSubGridPen(QPen(subGrid, 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(Qt::NoPen);
}

} // namespace

bool isDarkPalette(const QPalette& palette)
{
    return palette.color(QPalette::Window).lightnessF() < 0.5;
}

QColor warningColor(const QPalette& palette)
{
    return isDarkPalette(palette) ? QColor(0xE6, 0x9F, 0x00) : QColor(0xB3, 0x4D, 0x00);
}

QCPScatterStyle discScatter(const QColor& color, int diameter)
{
    // Rendered at twice the size for high-DPI screens; QCustomPlot centres it on the point.
    constexpr int kScale = 2;
    QPixmap pixmap(diameter * kScale, diameter * kScale);
    pixmap.fill(Qt::transparent);
    {
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(Qt::NoPen);
        painter.setBrush(color);
        painter.drawEllipse(QRectF(0.5, 0.5, diameter * kScale - 1.0, diameter * kScale - 1.0));
    }
    pixmap.setDevicePixelRatio(kScale);
    return QCPScatterStyle(pixmap);
}

void applyPlotTheme(QCustomPlot* plot, const QPalette& palette)
{
    const QColor base = palette.color(QPalette::Base);
    const QColor text = palette.color(QPalette::Text);
    QColor grid = text;
    grid.setAlphaF(0.25f);
    QColor subGrid = text;
    subGrid.setAlphaF(0.1f);
    plot->setBackground(base);
    const QList<QCPLayoutElement*> elements = plot->plotLayout()->elements(true);
    for (QCPLayoutElement* element : elements) {
        if (auto* rect = qobject_cast<QCPAxisRect*>(element)) {
            for (QCPAxis* axis : rect->axes())
                themeAxis(axis, text, grid, subGrid);
        } else if (auto* scale = qobject_cast<QCPColorScale*>(element)) {
            themeAxis(scale->axis(), text, grid, subGrid);
        } else if (auto* legend = qobject_cast<QCPLegend*>(element)) {
            legend->setBrush(base);
            legend->setTextColor(text);
            legend->setBorderPen(Qt::NoPen);
            for (int i = 0; i < legend->itemCount(); ++i)
                legend->item(i)->setTextColor(text);
        } else if (auto* title = qobject_cast<QCPTextElement*>(element)) {
            title->setTextColor(text);
        }
    }
    // A legend inside an axis rect's inset layout is not part of the plot layout.
    if (plot->legend) {
        plot->legend->setBrush(base);
        plot->legend->setTextColor(text);
        for (int i = 0; i < plot->legend->itemCount(); ++i)
            plot->legend->item(i)->setTextColor(text);
    }
    plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace dv::studio

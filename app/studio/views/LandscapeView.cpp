#include "views/LandscapeView.h"

#include "theme/EndLabelledLogTicker.h"
#include "theme/PlotTheme.h"
#include "theme/StatusColors.h"
#include "views/ValueText.h"

#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QToolTip>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace dv::studio {

namespace {

const QColor kFailed = statusColor(Status::RuntimeError);
const QColor kInvalid = QColor(0xBB, 0xBB, 0xBB);

QSharedPointer<QCPAxisTickerText> valueTicker(const QVector<QJsonValue>& values)
{
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < values.size(); ++i)
        ticker->addTick(i, valueText(values[i]));
    return ticker;
}

} // namespace

LandscapeView::LandscapeView(QWidget* parent)
    : QWidget(parent)
    , m_xCombo(new QComboBox(this))
    , m_yCombo(new QComboBox(this))
    , m_plot(new QCustomPlot(this))
    , m_summary(new QLabel(this))
    , m_titleLabel(new QLabel(this))
    , m_pickers(new QWidget(this))
    , m_fixedLo(std::nan(""))
    , m_fixedHi(std::nan(""))
{
    m_xCombo->setObjectName(QStringLiteral("landscapeXCombo"));
    m_yCombo->setObjectName(QStringLiteral("landscapeYCombo"));
    auto* pickers = new QHBoxLayout(m_pickers);
    pickers->setContentsMargins(0, 0, 0, 0);
    pickers->addWidget(new QLabel(tr("Columns:"), m_pickers));
    pickers->addWidget(m_xCombo, 1);
    pickers->addWidget(new QLabel(tr("Rows:"), m_pickers));
    pickers->addWidget(m_yCombo, 1);
    QFont bold = m_titleLabel->font();
    bold.setBold(true);
    m_titleLabel->setFont(bold);
    m_titleLabel->setAlignment(Qt::AlignCenter);
    m_titleLabel->hide();
    m_summary->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_pickers);
    layout->addWidget(m_titleLabel);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_summary);
    m_summary->setText(tr("<span style='color:%1'>&#9632;</span> failed &nbsp; "
                          "<span style='color:%2'>&#9632;</span> invalid (excluded by constraints) &nbsp; "
                          "&#9633; not measured yet")
                           .arg(kFailed.name(), kInvalid.name()));
    m_summary->setToolTip(tr("Hover a cell for its best configuration; click it to select that trial."));

    // Two maps on top of each other: the states below with fixed colours, the times above with
    // NaN transparent, so a cell shows its time when it has one and its state otherwise.
    m_states = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    QCPColorGradient stateColors;
    stateColors.setColorStops({{0.0, kFailed}, {1.0, kInvalid}});
    stateColors.setLevelCount(2);
    stateColors.setNanHandling(QCPColorGradient::nhTransparent);
    m_states->setGradient(stateColors);
    m_states->setDataRange(QCPRange(1, 2));
    m_states->setInterpolate(false);

    m_times = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    // Viridis (QCustomPlot 2.1 lacks it): perceptually uniform and readable in grey and by
    // colour-blind users; the failure colours above are outside it.
    QCPColorGradient timeColors;
    timeColors.setColorStops({{0.0, QColor(0x44, 0x01, 0x54)}, {0.25, QColor(0x3b, 0x52, 0x8b)},
                              {0.5, QColor(0x21, 0x91, 0x8c)}, {0.75, QColor(0x5e, 0xc9, 0x62)},
                              {1.0, QColor(0xfd, 0xe7, 0x25)}});
    timeColors.setNanHandling(QCPColorGradient::nhTransparent);
    m_times->setGradient(timeColors);
    m_times->setInterpolate(false);
    m_times->setDataScaleType(QCPAxis::stLogarithmic);
    // Nothing to draw until a grid arrives (QCPColorMap starts as a 10x10 map of zeros).
    m_states->setVisible(false);
    m_times->setVisible(false);

    m_scale = new QCPColorScale(m_plot);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setDataScaleType(QCPAxis::stLogarithmic);
    m_scale->axis()->setTicker(QSharedPointer<EndLabelledLogTicker>::create());
    m_scale->axis()->setSubTicks(false); // the ends make the ticks irregular; sub-ticks would mislead
    m_scale->axis()->setNumberFormat(QStringLiteral("gb"));
    m_scale->axis()->setLabel(tr("Best time in cell (ms)"));
    m_plot->plotLayout()->addElement(0, 1, m_scale);
    m_times->setColorScale(m_scale);
    // The scale's gradient wins over the map's once they are linked, so set it there.
    m_scale->setGradient(timeColors);
    auto* margins = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_plot->xAxis->grid()->setVisible(false);
    m_plot->yAxis->grid()->setVisible(false);

    connect(m_xCombo, &QComboBox::currentIndexChanged, this, &LandscapeView::onAxisPicked);
    connect(m_yCombo, &QComboBox::currentIndexChanged, this, &LandscapeView::onAxisPicked);
    connect(m_plot, &QCustomPlot::mouseMove, this, &LandscapeView::showCellToolTip);
    connect(m_plot, &QCustomPlot::mousePress, this, &LandscapeView::onPress);

    m_selection = new QCPItemRect(m_plot);
    m_selection->setBrush(Qt::NoBrush);
    m_selection->setVisible(false);
    m_selection->setClipToAxisRect(true);
    applyPlotTheme(m_plot, palette());
    m_selection->setPen(QPen(palette().color(QPalette::Text), 2.5));
}

void LandscapeView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPlotTheme(m_plot, palette());
        m_selection->setPen(QPen(palette().color(QPalette::Text), 2.5));
    }
}

void LandscapeView::setAxes(int xParameter, int yParameter)
{
    {
        const QSignalBlocker bx(m_xCombo), by(m_yCombo);
        m_xCombo->setCurrentIndex(xParameter);
        m_yCombo->setCurrentIndex(yParameter);
    }
    onAxisPicked();
}

void LandscapeView::setPickersVisible(bool visible)
{
    m_pickers->setVisible(visible);
}

void LandscapeView::setTitle(const QString& title)
{
    m_titleLabel->setText(title);
    m_titleLabel->setVisible(!title.isEmpty());
}

void LandscapeView::setColorRange(double loMs, double hiMs)
{
    m_fixedLo = loMs;
    m_fixedHi = hiMs;
    if (m_grid.columns() > 0)
        setGrid(m_grid);
}

double LandscapeView::colorLow() const { return m_times->dataRange().lower; }
double LandscapeView::colorHigh() const { return m_times->dataRange().upper; }

QPoint LandscapeView::cellAt(const QPointF& position) const
{
    if (m_grid.columns() == 0)
        return {-1, -1};
    const int c = int(std::lround(m_plot->xAxis->pixelToCoord(position.x())));
    const int r = int(std::lround(m_plot->yAxis->pixelToCoord(position.y())));
    if (c < 0 || r < 0 || c >= m_grid.columns() || r >= m_grid.rows())
        return {-1, -1};
    return {c, r};
}

void LandscapeView::setSelectedCell(int column, int row)
{
    m_selColumn = column;
    m_selRow = row;
    placeSelection();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool LandscapeView::showConfiguration(const QJsonObject& config)
{
    if (m_grid.columns() == 0)
        return false;
    const int c = m_space.valueIndex(m_grid.xParameter(), config.value(m_space.parameters()[m_grid.xParameter()].name));
    const int r = m_space.valueIndex(m_grid.yParameter(), config.value(m_space.parameters()[m_grid.yParameter()].name));
    if (c < 0 || r < 0)
        return false;
    setSelectedCell(c, r);
    return true;
}

void LandscapeView::placeSelection()
{
    const bool inside = m_selColumn >= 0 && m_selRow >= 0 && m_selColumn < m_grid.columns() && m_selRow < m_grid.rows();
    m_selection->setVisible(inside);
    if (!inside)
        return;
    m_selection->topLeft->setCoords(m_selColumn - 0.5, m_selRow + 0.5);
    m_selection->bottomRight->setCoords(m_selColumn + 0.5, m_selRow - 0.5);
}

void LandscapeView::onPress(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const QPoint cell = cellAt(event->position());
    if (cell.x() < 0)
        return;
    setSelectedCell(cell.x(), cell.y());
    const qint64 index = m_grid.bestIndex(cell.x(), cell.y());
    if (index >= 0)
        emit configurationClicked(m_space.key(index));
}

void LandscapeView::setSpace(const ConfigSpace& space)
{
    m_space = space;
    m_selColumn = m_selRow = -1;
    const QSignalBlocker bx(m_xCombo), by(m_yCombo);
    m_xCombo->clear();
    m_yCombo->clear();
    QVector<int> varying;
    for (int p = 0; p < space.dimensions(); ++p) {
        m_xCombo->addItem(space.parameters()[p].name);
        m_yCombo->addItem(space.parameters()[p].name);
        if (space.parameters()[p].values.size() > 1)
            varying.append(p);
    }
    m_xCombo->setCurrentIndex(varying.value(0, 0));
    m_yCombo->setCurrentIndex(varying.value(1, space.dimensions() > 1 ? 1 : 0));
    onAxisPicked();
}

int LandscapeView::xParameter() const { return m_xCombo->currentIndex(); }
int LandscapeView::yParameter() const { return m_yCombo->currentIndex(); }

void LandscapeView::onAxisPicked()
{
    m_selColumn = m_selRow = -1;
    if (xParameter() >= 0 && yParameter() >= 0 && xParameter() != yParameter())
        emit axesChanged(xParameter(), yParameter());
}

void LandscapeView::setGrid(const LandscapeGrid& grid)
{
    m_grid = grid;
    const int cols = grid.columns(), rows = grid.rows();
    m_states->setVisible(cols > 0);
    m_times->setVisible(cols > 0);
    for (QCPColorMap* map : {m_states, m_times}) {
        map->data()->setSize(cols, rows);
        map->data()->setRange(QCPRange(0, cols - 1), QCPRange(0, rows - 1));
    }
    const double nan = std::nan("");
    for (int c = 0; c < cols; ++c) {
        for (int r = 0; r < rows; ++r) {
            const LandscapeGrid::Cell cell = grid.cell(c, r);
            m_states->data()->setCell(c, r, cell == LandscapeGrid::Cell::Failed    ? 1.0
                                            : cell == LandscapeGrid::Cell::Invalid ? 2.0
                                                                                   : nan);
            m_times->data()->setCell(c, r, grid.bestMs(c, r));
        }
    }
    if (std::isfinite(m_fixedLo) && std::isfinite(m_fixedHi))
        m_times->setDataRange(QCPRange(m_fixedLo, std::max(m_fixedHi, m_fixedLo * 1.01)));
    else if (std::isfinite(grid.minMs()))
        m_times->setDataRange(QCPRange(grid.minMs(), std::max(grid.maxMs(), grid.minMs() * 1.01)));
    m_plot->xAxis->setTicker(valueTicker(grid.xValues()));
    // Many values (block_size_x has 16) do not fit side by side under the cells.
    m_plot->xAxis->setTickLabelRotation(grid.xValues().size() > 8 ? -60 : 0);
    m_plot->yAxis->setTicker(valueTicker(grid.yValues()));
    m_plot->xAxis->setLabel(m_xCombo->currentText());
    m_plot->yAxis->setLabel(m_yCombo->currentText());
    m_plot->xAxis->setRange(-0.5, cols - 0.5);
    m_plot->yAxis->setRange(-0.5, rows - 0.5);
    placeSelection();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LandscapeView::showCellToolTip(QMouseEvent* event)
{
    if (m_grid.columns() == 0)
        return;
    const QPoint cell = cellAt(event->position());
    const int c = cell.x(), r = cell.y();
    if (c < 0) {
        QToolTip::hideText();
        return;
    }
    QString text;
    switch (m_grid.cell(c, r)) {
    case LandscapeGrid::Cell::Ok:
        text = tr("best %1 ms\n%2").arg(QString::number(m_grid.bestMs(c, r), 'g', 4),
                                        m_space.key(m_grid.bestIndex(c, r)));
        break;
    case LandscapeGrid::Cell::Failed:
        text = tr("every measured configuration failed");
        break;
    case LandscapeGrid::Cell::Invalid:
        text = tr("no valid configuration (constraints)");
        break;
    case LandscapeGrid::Cell::Unmeasured:
        text = tr("not measured yet");
        break;
    }
    QToolTip::showText(event->globalPosition().toPoint(),
                       QStringLiteral("%1 = %2, %3 = %4\n%5")
                           .arg(m_xCombo->currentText(), valueText(m_grid.xValues()[c]), m_yCombo->currentText(),
                                valueText(m_grid.yValues()[r]), text),
                       m_plot);
}

} // namespace dv::studio

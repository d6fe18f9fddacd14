#include "views/ParameterEffectsView.h"

#include "theme/PlotTheme.h"
#include "theme/StatusColors.h"
#include "views/ValueText.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QMap>
#include <QSplitter>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace dv::studio {

namespace {

const QColor kBar(0x56, 0xB4, 0xE9);
const QColor kShownBar(0x00, 0x72, 0xB2);
const QColor kMedian(0xE6, 0x9F, 0x00);

// The ok blue, lighter on a dark background where the darker blue sinks in.
QCPScatterStyle stripScatter(const QPalette& palette)
{
    return discScatter(isDarkPalette(palette) ? QColor(0x56, 0xB4, 0xE9, 150) : QColor(0x00, 0x72, 0xB2, 110), 4);
}

} // namespace

ParameterEffectsView::ParameterEffectsView(QWidget* parent)
    : QWidget(parent)
    , m_picker(new QComboBox(this))
    , m_summary(new QLabel(this))
    , m_rankPlot(new QCustomPlot(this))
    , m_distPlot(new QCustomPlot(this))
{
    m_picker->setObjectName(QStringLiteral("effectsParameterCombo"));
    m_rankPlot->setObjectName(QStringLiteral("effectsRankingPlot"));
    m_distPlot->setObjectName(QStringLiteral("effectsDistributionPlot"));
    m_summary->setWordWrap(true);

    // Ranking: horizontal bars, the most important parameter on top.
    m_bars = new QCPBars(m_rankPlot->yAxis, m_rankPlot->xAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(kBar);
    m_bars->setWidth(0.7);
    m_bars->setName(tr("importance"));
    m_rankPlot->xAxis->setLabel(tr("Importance (η²)"));
    m_rankPlot->xAxis->ticker()->setTickCount(3);
    m_rankPlot->xAxis->setNumberFormat(QStringLiteral("f"));
    m_rankPlot->xAxis->setNumberPrecision(2);
    m_rankPlot->yAxis->grid()->setVisible(false);
    m_rankPlot->yAxis->setTickLength(0, 0);
    m_rankPlot->yAxis->setSubTicks(false);
    m_rankPlot->setMinimumWidth(260);
    // The shown parameter's bar is drawn again on top in a darker colour.
    m_shownBar = new QCPBars(m_rankPlot->yAxis, m_rankPlot->xAxis);
    m_shownBar->setPen(Qt::NoPen);
    m_shownBar->setBrush(kShownBar);
    m_shownBar->setWidth(0.7);

    // Distribution: the trials as a strip, boxes on top.
    m_distPlot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_distPlot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_distPlot->yAxis->setNumberFormat(QStringLiteral("gb"));
    m_distPlot->yAxis->setLabel(tr("Time (ms)"));
    m_distPlot->xAxis->grid()->setVisible(false);
    m_distPlot->xAxis->setSubTicks(false);
    m_strip = m_distPlot->addGraph();
    m_strip->setLineStyle(QCPGraph::lsNone);
    m_strip->setScatterStyle(stripScatter(palette()));
    m_strip->setName(tr("trial"));
    m_boxes = new QCPStatisticalBox(m_distPlot->xAxis, m_distPlot->yAxis);
    m_boxes->setWidth(0.6);
    m_boxes->setWhiskerWidth(0.25);
    m_boxes->setBrush(Qt::NoBrush);
    m_boxes->setName(tr("25–75 % box, median, min–max"));
    m_distPlot->legend->setVisible(true);
    m_distPlot->axisRect()->insetLayout()->take(m_distPlot->legend);
    m_distPlot->plotLayout()->addElement(1, 0, m_distPlot->legend);
    m_distPlot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_distPlot->plotLayout()->setRowStretchFactor(1, 0.001);

    auto* pickers = new QHBoxLayout;
    pickers->addWidget(new QLabel(tr("Time by value of:"), this));
    pickers->addWidget(m_picker, 1);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(pickers);
    rightLayout->addWidget(m_distPlot, 1);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* rankTitle = new QLabel(tr("Importance ranking (click a bar to see its values):"), left);
    rankTitle->setWordWrap(true);
    leftLayout->addWidget(rankTitle);
    leftLayout->addWidget(m_rankPlot, 1);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(1, 2);
    split->setSizes({340, 900});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split, 1);
    layout->addWidget(m_summary);

    m_timer.setSingleShot(true);
    m_timer.setInterval(kRefreshMs);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_dirty && isVisible())
            refresh();
    });
    connect(m_picker, &QComboBox::currentIndexChanged, this, [this](int row) {
        if (row >= 0)
            showParameter(m_picker->itemData(row).toInt());
    });
    connect(m_rankPlot, &QCustomPlot::mousePress, this, &ParameterEffectsView::onRankingClick);
    // Only after a layout is the axis width known: if the labels chosen before do not suit it
    // (first show, a resize), they are laid out again and drawn on the next frame.
    connect(m_distPlot, &QCustomPlot::afterLayout, this, [this] {
        if (placeValueLabels())
            m_distPlot->replot(QCustomPlot::rpQueuedReplot);
    });
    applyPlotTheme(m_rankPlot, palette());
    applyPlotTheme(m_distPlot, palette());
    m_boxes->setPen(QPen(palette().color(QPalette::Text), 1.2));
    m_boxes->setWhiskerPen(QPen(palette().color(QPalette::Text), 1, Qt::SolidLine));
    m_boxes->setWhiskerBarPen(QPen(palette().color(QPalette::Text), 1.2));
    m_boxes->setMedianPen(QPen(kMedian, 3));
    m_summary->setText(tr("No trials yet."));
}

void ParameterEffectsView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPlotTheme(m_rankPlot, palette());
        applyPlotTheme(m_distPlot, palette());
        m_boxes->setPen(QPen(palette().color(QPalette::Text), 1.2));
        m_boxes->setWhiskerPen(QPen(palette().color(QPalette::Text), 1, Qt::SolidLine));
        m_boxes->setWhiskerBarPen(QPen(palette().color(QPalette::Text), 1.2));
        m_strip->setScatterStyle(stripScatter(palette()));
    }
}

void ParameterEffectsView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_dirty)
        refresh();
}

void ParameterEffectsView::setSpace(const ConfigSpace& space)
{
    m_space = space;
    m_trials.clear();
    m_shown = -1;
    m_userPicked = false;
    m_dirty = true;
    refresh();
}

void ParameterEffectsView::setTrials(const QVector<Trial>& trials)
{
    m_trials = trials;
    m_dirty = true;
    scheduleRefresh();
}

void ParameterEffectsView::scheduleRefresh()
{
    if (!m_timer.isActive())
        m_timer.start();
}

void ParameterEffectsView::refresh()
{
    m_dirty = false;
    m_effects = ParameterEffects::fromTrials(m_space, m_trials);
    m_ranking = ParameterEffects::ranking(m_effects);
    if ((!m_userPicked || m_shown < 0 || m_shown >= m_effects.size()) && !m_ranking.isEmpty())
        m_shown = m_ranking.front();
    {
        const QSignalBlocker block(m_picker);
        m_picker->clear();
        for (int p : std::as_const(m_ranking))
            m_picker->addItem(m_effects[p].name, p);
        m_picker->setCurrentIndex(m_picker->findData(m_shown));
    }
    int ok = 0;
    for (const Trial& t : std::as_const(m_trials))
        ok += t.measurement.isOk() ? 1 : 0;
    m_summary->setText(m_trials.isEmpty()
                           ? tr("No trials yet.")
                           : tr("%1 of %n trial(s) ran. Importance: the share of the variance of log(time) explained by "
                                "the parameter's value alone (η², computed by the engine); interactions are not "
                                "counted, so shares need not add up to 1.",
                                nullptr, int(m_trials.size()))
                                 .arg(ok));
    drawRanking();
    drawDistribution();
}

void ParameterEffectsView::showParameter(int parameter)
{
    if (parameter < 0 || parameter >= m_effects.size())
        return;
    m_userPicked = true;
    if (parameter == m_shown)
        return;
    m_shown = parameter;
    {
        const QSignalBlocker block(m_picker);
        m_picker->setCurrentIndex(m_picker->findData(parameter));
    }
    drawRanking();
    drawDistribution();
}

void ParameterEffectsView::drawRanking()
{
    const int n = int(m_ranking.size());
    QVector<double> keys, values, shownKey, shownValue;
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    double top = 0.05;
    for (int r = 0; r < n; ++r) {
        const ParameterEffect& e = m_effects[m_ranking[r]];
        const double key = n - 1 - r; // most important on top
        keys.append(key);
        values.append(e.importance);
        top = std::max(top, e.importance);
        ticker->addTick(key, QStringLiteral("%1  %2").arg(e.name, QString::number(e.importance, 'f', 2)));
        if (e.parameter == m_shown) {
            shownKey.append(key);
            shownValue.append(e.importance);
        }
    }
    m_bars->setData(keys, values, true);
    m_shownBar->setData(shownKey, shownValue, true);
    m_rankPlot->yAxis->setTicker(ticker);
    m_rankPlot->yAxis->setRange(-0.6, std::max(n, 1) - 0.4);
    m_rankPlot->xAxis->setRange(0, top * 1.1);
    m_rankPlot->replot(QCustomPlot::rpQueuedReplot);
}

void ParameterEffectsView::drawDistribution()
{
    m_boxes->data()->clear();
    m_strip->data()->clear();
    m_valueLabels.clear();
    m_lineLabels.clear();
    if (m_shown < 0 || m_shown >= m_effects.size()) {
        m_distPlot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const ParameterEffect& e = m_effects[m_shown];
    QVector<double> x, y;
    double lo = 0, hi = 0;
    for (int v = 0; v < e.values.size(); ++v) {
        const ValueEffect& ve = e.values[v];
        QString counts;
        if (ve.measured == 0)
            counts = tr("not measured");
        else if (ve.ok < ve.measured)
            counts = tr("%1 ok, %2 failed").arg(ve.ok).arg(ve.measured - ve.ok);
        else
            counts = tr("%1 ok").arg(ve.ok);
        m_valueLabels.append(valueText(ve.value) + QLatin1Char('\n') + counts);
        m_lineLabels.append(tr("%1: %2").arg(valueText(ve.value), counts));
        if (ve.ok == 0)
            continue;
        m_boxes->addData(v, ve.minMs, ve.q1Ms, ve.medianMs, ve.q3Ms, ve.maxMs);
        lo = lo > 0 ? std::min(lo, ve.minMs) : ve.minMs;
        hi = std::max(hi, ve.maxMs);
        // Thin evenly in rank so the strip keeps the shape of the distribution; a fixed
        // golden-ratio jitter spreads points sideways without randomness between redraws.
        const int count = int(ve.okMs.size());
        const int shown = std::min(count, kMaxStripPoints);
        for (int k = 0; k < shown; ++k) {
            const int at = shown == count ? k : int(std::lround(double(k) * (count - 1) / std::max(shown - 1, 1)));
            const double jitter = std::fmod(k * 0.6180339887, 1.0) - 0.5;
            x.append(v + 0.45 * jitter);
            y.append(ve.okMs[at]);
        }
    }
    m_strip->setData(x, y);
    m_distPlot->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create()); // filled next
    placeValueLabels();
    m_distPlot->xAxis->setLabel(e.name);
    m_distPlot->xAxis->setRange(-0.6, std::max(int(e.values.size()), 1) - 0.4);
    if (lo > 0)
        m_distPlot->yAxis->setRange(lo / 1.3, hi * 1.3);
    m_distPlot->replot(QCustomPlot::rpQueuedReplot);
}

bool ParameterEffectsView::placeValueLabels()
{
    auto* ticker = dynamic_cast<QCPAxisTickerText*>(m_distPlot->xAxis->ticker().data());
    const int n = int(m_valueLabels.size());
    if (!ticker || n == 0)
        return false;
    constexpr int kGap = 8; // pixels between neighbouring labels
    const QFontMetrics fm(m_distPlot->xAxis->tickLabelFont());
    const double perValue = double(std::max(m_distPlot->axisRect()->width(), 1)) / n; // the range is n values wide
    int widest = 0;
    for (const QString& label : std::as_const(m_valueLabels))
        widest = std::max(widest, fm.boundingRect(QRect(), Qt::TextDontClip | Qt::AlignHCenter, label).width());
    QMap<double, QString> ticks;
    double rotation = 0;
    if (widest + kGap <= perValue) {
        for (int v = 0; v < n; ++v)
            ticks.insert(v, m_valueLabels[v]);
    } else {
        // Upright, a one-line label is one line high across; label every k-th value if needed.
        rotation = -90;
        const int every = std::max(1, int(std::ceil((fm.height() + kGap) / perValue)));
        for (int v = 0; v < n; ++v)
            ticks.insert(v, v % every == 0 ? m_lineLabels[v] : QString());
    }
    if (ticks == ticker->ticks() && rotation == m_distPlot->xAxis->tickLabelRotation())
        return false;
    ticker->setTicks(ticks);
    m_distPlot->xAxis->setTickLabelRotation(rotation);
    return true;
}

void ParameterEffectsView::onRankingClick(QMouseEvent* event)
{
    const int n = int(m_ranking.size());
    const int key = int(std::lround(m_rankPlot->yAxis->pixelToCoord(event->position().y())));
    if (key >= 0 && key < n)
        showParameter(m_ranking[n - 1 - key]);
}

} // namespace dv::studio

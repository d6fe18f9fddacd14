#include "views/TrialPlot.h"

#include "theme/PlotTheme.h"
#include "theme/StatusColors.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace dv::studio {

namespace {
// Failure ticks sit on a hidden 0..1 axis so their height never depends on the data.
constexpr double kTickHeight = 0.97;

// Evaluations are counted: ticks at whole numbers only (1, 2, 5, 10, ... apart), never "1.5".
QSharedPointer<QCPAxisTicker> xTicker(TrialPlot::XAxis axis)
{
    if (axis == TrialPlot::XAxis::WallTime)
        return QSharedPointer<QCPAxisTicker>::create();
    auto counted = QSharedPointer<QCPAxisTickerFixed>::create();
    counted->setTickStep(1.0);
    counted->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    return counted;
}
} // namespace

TrialPlot::TrialPlot(QWidget* parent)
    : QWidget(parent)
    , m_xPicker(new QComboBox(this))
    , m_plot(new QCustomPlot(this))
{
    m_xPicker->setObjectName(QStringLiteral("trialPlotXCombo"));
    m_xPicker->addItem(tr("Evaluation number"));
    m_xPicker->addItem(tr("Wall time (s)"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Trials over:"), this));
    bar->addWidget(m_xPicker);
    bar->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_plot, 1);

    m_plot->xAxis->setLabel(tr("Evaluation"));
    m_plot->xAxis->setTicker(xTicker(XAxis::Evaluation));
    m_plot->yAxis->setLabel(tr("Time (ms)"));
    m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    m_plot->yAxis2->setRange(0, 1);

    m_reference = m_plot->addGraph();
    m_reference->setName(tr("Random search (expected best)"));
    m_reference->setPen(QPen(QColor(0x99, 0x99, 0x99), 1.5, Qt::DashLine));

    m_ok = m_plot->addGraph();
    m_ok->setName(tr("Trial (ok)"));
    m_ok->setLineStyle(QCPGraph::lsNone);
    m_ok->setScatterStyle(discScatter(statusColor(Status::Ok), 5));

    m_best = m_plot->addGraph();
    m_best->setName(tr("Best so far"));
    m_best->setLineStyle(QCPGraph::lsStepLeft);
    m_best->setPen(QPen(QColor(0x00, 0x9E, 0x73), 2.5));

    // The legend sits in a row of its own below the axes: inside them it hides trials.
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->legend->setWrap(3);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    applyPlotTheme(m_plot, palette());

    connect(m_xPicker, &QComboBox::currentIndexChanged, this,
            [this](int i) { setXAxis(i == 1 ? XAxis::WallTime : XAxis::Evaluation); });
}

void TrialPlot::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPlotTheme(m_plot, palette());
}

void TrialPlot::clear()
{
    for (QCPGraph* g : {m_ok, m_best, m_reference})
        g->data()->clear();
    for (QCPGraph* g : std::as_const(m_failed))
        m_plot->removeGraph(g);
    m_failed.clear();
    m_points.clear();
    m_start = {};
    m_bestSteps.clear();
    m_bestCount = 0;
    m_referenceMs.clear();
    m_plot->replot();
}

QCPGraph* TrialPlot::failureGraph(Status status)
{
    auto it = m_failed.find(int(status));
    if (it != m_failed.end())
        return it.value();
    QCPGraph* g = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    g->setName(tr("Failed: %1").arg(statusName(status)));
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, statusColor(status), 7));
    return m_failed.insert(int(status), g).value();
}

double TrialPlot::xOf(int arrival) const
{
    const Point& p = m_points[arrival];
    return m_xAxis == XAxis::WallTime ? p.wallSeconds : double(p.sequence);
}

void TrialPlot::addPoint(const Point& p)
{
    const double x = m_xAxis == XAxis::WallTime ? p.wallSeconds : double(p.sequence);
    if (p.status == Status::Ok)
        m_ok->addData(x, p.ms);
    else
        failureGraph(p.status)->addData(x, kTickHeight);
}

void TrialPlot::appendTrials(const QVector<Trial>& trials)
{
    for (const Trial& t : trials) {
        if (!m_start.isValid())
            m_start = t.startedAt.isValid() ? t.startedAt : t.finishedAt;
        const QDateTime end = t.finishedAt.isValid() ? t.finishedAt : t.startedAt;
        const double wall = m_start.isValid() && end.isValid() ? m_start.msecsTo(end) / 1000.0 : double(t.sequence);
        const Point p{t.sequence, wall, t.measurement.isOk() ? t.measurement.objectiveMs : std::nan(""),
                      t.measurement.isOk() ? Status::Ok : t.measurement.status};
        m_points.append(p);
        addPoint(p);
    }
}

void TrialPlot::setBestSoFar(const BestSoFar& best)
{
    // Only the steps: a 20,000-evaluation curve has a few dozen improvements.
    const std::vector<double>& curve = best.curve();
    m_bestSteps.clear();
    for (int i : best.improvements())
        m_bestSteps.append({i, curve[size_t(i)]});
    m_bestCount = int(curve.size());
    drawBest();
}

void TrialPlot::drawBest()
{
    QVector<double> x, y;
    const int n = std::min(m_bestCount, int(m_points.size()));
    for (const auto& [i, ms] : std::as_const(m_bestSteps)) {
        if (i < n && std::isfinite(ms)) {
            x.append(xOf(i));
            y.append(ms);
        }
    }
    if (!y.isEmpty() && n > 0 && xOf(n - 1) > x.back()) {
        x.append(xOf(n - 1));
        y.append(y.back());
    }
    m_best->setData(x, y, true);
}

void TrialPlot::setReference(const QVector<double>& expectedBestMs)
{
    m_referenceMs = expectedBestMs;
    drawReference();
}

void TrialPlot::drawReference()
{
    QVector<double> x, y;
    if (m_xAxis == XAxis::Evaluation) {
        for (int i = 0; i < m_referenceMs.size(); ++i) {
            x.append(i + 1);
            y.append(m_referenceMs[i]);
        }
    } else {
        // On the clock the reference follows this session's pace: evaluation i at the time
        // trial i finished; it ends where the session's trials do.
        for (int i = 0; i < m_referenceMs.size() && i < m_points.size(); ++i) {
            x.append(m_points[i].wallSeconds);
            y.append(m_referenceMs[i]);
        }
    }
    m_reference->setData(x, y, true);
}

void TrialPlot::setXAxis(XAxis axis)
{
    if (axis == m_xAxis)
        return;
    m_xAxis = axis;
    {
        const QSignalBlocker block(m_xPicker);
        m_xPicker->setCurrentIndex(axis == XAxis::WallTime ? 1 : 0);
    }
    m_plot->xAxis->setLabel(axis == XAxis::WallTime ? tr("Wall time since the first trial (s)") : tr("Evaluation"));
    m_plot->xAxis->setTicker(xTicker(axis));
    m_ok->data()->clear();
    for (QCPGraph* g : std::as_const(m_failed))
        g->data()->clear();
    for (const Point& p : std::as_const(m_points))
        addPoint(p);
    drawBest();
    drawReference();
    redraw();
}

int TrialPlot::pointCount(Status status) const
{
    if (status == Status::Ok)
        return m_ok->dataCount();
    const QCPGraph* g = m_failed.value(int(status), nullptr);
    return g ? g->dataCount() : 0;
}

void TrialPlot::redraw()
{
    bool found = false;
    QCPRange keys;
    for (int g = 0; g < m_plot->graphCount(); ++g) {
        bool ok = false;
        const QCPRange r = m_plot->graph(g)->getKeyRange(ok);
        if (ok)
            keys = found ? QCPRange(std::min(keys.lower, r.lower), std::max(keys.upper, r.upper)) : r;
        found = found || ok;
    }
    // The reference runs over the whole budget; follow the trials, not the reference's end.
    bool pointsOk = false;
    QCPRange trialKeys = m_ok->getKeyRange(pointsOk);
    for (QCPGraph* g : std::as_const(m_failed)) {
        bool ok = false;
        const QCPRange r = g->getKeyRange(ok);
        if (ok)
            trialKeys = pointsOk ? QCPRange(std::min(trialKeys.lower, r.lower), std::max(trialKeys.upper, r.upper)) : r;
        pointsOk = pointsOk || ok;
    }
    if (pointsOk)
        keys = trialKeys;
    if (found || pointsOk) {
        const double pad = std::max(keys.size() * 0.03, 0.5);
        m_plot->xAxis->setRange(keys.lower - pad, keys.upper + pad);
    }
    m_plot->yAxis->rescale();
    m_plot->yAxis->scaleRange(1.3);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace dv::studio

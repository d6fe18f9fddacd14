#include "TrialPlot.h"

#include "StatusColors.h"

#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace dv::studio {

TrialPlot::TrialPlot(QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    m_plot->xAxis->setLabel(tr("Evaluation"));
    m_plot->yAxis->setLabel(tr("Time (ms)"));
    m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    // Failure ticks live on a hidden 0..1 axis so their height never depends on the data.
    m_plot->yAxis2->setRange(0, 1);

    m_reference = m_plot->addGraph();
    m_reference->setName(tr("Random search (expected best)"));
    m_reference->setPen(QPen(QColor(0x88, 0x88, 0x88), 1.5, Qt::DashLine));

    m_ok = m_plot->addGraph();
    m_ok->setName(tr("Trial (ok)"));
    m_ok->setLineStyle(QCPGraph::lsNone);
    m_ok->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, statusColor(Status::Ok), 4));

    m_failed = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_failed->setName(tr("Trial (failed)"));
    m_failed->setLineStyle(QCPGraph::lsNone);
    m_failed->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, statusColor(Status::RuntimeError), 6));

    m_best = m_plot->addGraph();
    m_best->setName(tr("Best so far"));
    m_best->setLineStyle(QCPGraph::lsStepLeft);
    m_best->setPen(QPen(QColor(0x00, 0x9E, 0x73), 2.5));

    // The legend sits in a row of its own below the axes: inside them it hides trials.
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
}

void TrialPlot::clear()
{
    for (QCPGraph* g : {m_ok, m_failed, m_best, m_reference})
        g->data()->clear();
    m_plot->replot();
}

void TrialPlot::appendTrials(const QVector<Trial>& trials)
{
    for (const Trial& t : trials) {
        if (t.measurement.isOk())
            m_ok->addData(t.sequence, t.measurement.objectiveMs);
        else
            m_failed->addData(t.sequence, 0.97);
    }
}

void TrialPlot::setBestSoFar(const BestSoFar& best)
{
    QVector<double> x, y;
    const std::vector<double>& curve = best.curve();
    for (size_t i = 0; i < curve.size(); ++i) {
        if (std::isfinite(curve[i])) {
            x.append(double(i + 1));
            y.append(curve[i]);
        }
    }
    m_best->setData(x, y, true);
}

void TrialPlot::setReference(const QVector<double>& expectedBestMs)
{
    QVector<double> x(expectedBestMs.size());
    for (int i = 0; i < x.size(); ++i)
        x[i] = i + 1;
    m_reference->setData(x, expectedBestMs, true);
}

void TrialPlot::redraw()
{
    m_plot->xAxis->rescale();
    m_plot->yAxis->rescale();
    m_plot->xAxis->scaleRange(1.05);
    m_plot->yAxis->scaleRange(1.3);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace dv::studio

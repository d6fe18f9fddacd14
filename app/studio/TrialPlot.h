#pragma once

#include "BestSoFar.h"
#include "Trial.h"

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;

namespace dv::studio {

/// Every trial of a session: evaluation number against time on a log axis, coloured by status,
/// with the running best as a step line and the expected best of random search as a reference.
/// Failed trials have no time, so they are drawn as ticks along the top edge. Only draws:
/// the curves come from core (BestSoFar, StrategyBenchmark).
class TrialPlot : public QWidget {
    Q_OBJECT
public:
    explicit TrialPlot(QWidget* parent = nullptr);

    void clear();
    /// Adds trials to the point clouds (incremental: older points are not re-sent).
    void appendTrials(const QVector<Trial>& trials);
    void setBestSoFar(const BestSoFar& best);
    void setReference(const QVector<double>& expectedBestMs);
    /// Rescales and repaints; called by the owner's coalescing timer, not per trial.
    void redraw();

    QCustomPlot* plot() const { return m_plot; }

private:
    QCustomPlot* m_plot;
    QCPGraph* m_ok;
    QCPGraph* m_failed;
    QCPGraph* m_best;
    QCPGraph* m_reference;
};

} // namespace dv::studio

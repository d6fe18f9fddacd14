#pragma once

#include "analysis/BestSoFar.h"
#include "session/Trial.h"

#include <QDateTime>
#include <QMap>
#include <QVector>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QCPGraph;

namespace dv::studio {

/// Every trial of a session: evaluation number (or wall time since the first trial) against time
/// on a log axis, coloured by status, with the running best as a step line and the expected best
/// of random search as a reference. Failed trials have no time, so they are drawn as ticks along
/// the top edge, one colour per failure status. Only draws: the curves come from core
/// (BestSoFar, StrategyBenchmark). Updates are incremental: appendTrials() adds only the new
/// points and setBestSoFar() sends only the steps of the best curve; redraw() repaints once.
class TrialPlot : public QWidget {
    Q_OBJECT
public:
    enum class XAxis { Evaluation, WallTime };

    explicit TrialPlot(QWidget* parent = nullptr);

    void clear();
    /// Adds trials to the point clouds (incremental: older points are not re-sent).
    void appendTrials(const QVector<Trial>& trials);
    /// The running best, fed in the same order as appendTrials().
    void setBestSoFar(const BestSoFar& best);
    void setReference(const QVector<double>& expectedBestMs);
    /// Rescales and repaints; called by the owner's coalescing timer, not per trial.
    void redraw();
    void setXAxis(XAxis axis);
    XAxis xAxis() const { return m_xAxis; }

    QCustomPlot* plot() const { return m_plot; }
    /// Points drawn for a status (ok: the trial cloud; other statuses: the ticks on top).
    int pointCount(Status status) const;

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Point {
        int sequence;
        double wallSeconds;
        double ms;
        Status status;
    };
    double xOf(int arrival) const;
    void addPoint(const Point& p);
    QCPGraph* failureGraph(Status status);
    void drawBest();
    void drawReference();

    QComboBox* m_xPicker;
    QCustomPlot* m_plot;
    QCPGraph* m_ok;
    QMap<int, QCPGraph*> m_failed; ///< by dv::Status, created when first needed
    QCPGraph* m_best;
    QCPGraph* m_reference;
    XAxis m_xAxis = XAxis::Evaluation;
    QVector<Point> m_points;      ///< in arrival order
    QDateTime m_start;            ///< when the first trial started (wall-time origin)
    QVector<QPair<int, double>> m_bestSteps; ///< (arrival index, best) where the best improved
    int m_bestCount = 0;          ///< evaluations the best curve covers
    QVector<double> m_referenceMs;
};

} // namespace dv::studio

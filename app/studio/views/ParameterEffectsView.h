#pragma once

#include "analysis/ParameterEffects.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QTimer>
#include <QVector>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QCPBars;
class QCPGraph;
class QCPStatisticalBox;
class QLabel;

namespace dv::studio {

/// Parameter effects of a session: on the left the importance ranking (core's
/// ParameterEffects: share of the variance of log time explained by each parameter), on the right
/// how time depends on the value of the picked parameter: a box per value (quartiles, median,
/// whiskers to the extremes) over a strip of the trials themselves, on a log axis. Trials arrive
/// with setTrials(); the statistics are recomputed at most once per kRefreshMs and only while
/// the view is visible, so a session running flat out costs nothing here.
class ParameterEffectsView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRefreshMs = 1000;
    /// Points drawn per value in the strip; more are thinned evenly in rank (the box keeps all).
    static constexpr int kMaxStripPoints = 400;

    explicit ParameterEffectsView(QWidget* parent = nullptr);

    /// A new session: clears the plots.
    void setSpace(const ConfigSpace& space);
    /// All trials so far (implicitly shared, so cheap to pass on every flush).
    void setTrials(const QVector<Trial>& trials);
    /// Recomputes and redraws now (the timer calls it; tests and screenshots too).
    void refresh();

    const QVector<ParameterEffect>& effects() const { return m_effects; }
    /// Core's ranking: indices into effects(), most important first.
    const QVector<int>& ranking() const { return m_ranking; }
    /// Space index of the parameter whose distribution is shown.
    int shownParameter() const { return m_shown; }
    /// Shows a parameter's values (as picking it in the list or clicking its bar does).
    void showParameter(int parameter);

    QCustomPlot* rankingPlot() const { return m_rankPlot; }
    QCustomPlot* distributionPlot() const { return m_distPlot; }
    QCPStatisticalBox* boxes() const { return m_boxes; }

protected:
    void changeEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void scheduleRefresh();
    void drawRanking();
    void drawDistribution();
    void onRankingClick(QMouseEvent* event);
    /// Lays the value labels under the boxes out for the plot's current width: level and in two
    /// lines when they fit, else upright on one line, every k-th when even that is too tight.
    /// Returns whether anything changed.
    bool placeValueLabels();

    ConfigSpace m_space;
    QVector<Trial> m_trials;
    QVector<ParameterEffect> m_effects;
    QVector<int> m_ranking;
    int m_shown = -1;
    bool m_dirty = false;
    bool m_userPicked = false; ///< until the user picks, the most important parameter is shown
    QTimer m_timer;

    QComboBox* m_picker;
    QLabel* m_summary;
    QCustomPlot* m_rankPlot;
    QCPBars* m_bars;
    QCPBars* m_shownBar;
    QCustomPlot* m_distPlot;
    QCPStatisticalBox* m_boxes;
    QCPGraph* m_strip;
    QStringList m_valueLabels; ///< per value: "128\n12 ok, 3 failed"
    QStringList m_lineLabels;  ///< the same on one line, for upright labels
};

} // namespace dv::studio

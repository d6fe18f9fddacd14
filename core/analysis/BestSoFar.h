#pragma once

#include "session/Trial.h"

#include <QVector>

#include <limits>
#include <vector>

namespace dv {

/// The running best of a session: after each evaluation, the fastest ok time so far. Failed
/// evaluations count as evaluations (they spent budget) but never improve the best. Fed one
/// trial at a time so a live plot extends it instead of recomputing it.
class BestSoFar {
public:
    /// `beforeFirstOk` is the value reported until the first ok evaluation (NaN: "no best yet";
    /// StrategyBenchmark uses the landscape's slowest valid time).
    explicit BestSoFar(double beforeFirstOk = std::numeric_limits<double>::quiet_NaN())
        : m_best(beforeFirstOk) {}

    static BestSoFar fromTrials(const QVector<Trial>& trials,
                                double beforeFirstOk = std::numeric_limits<double>::quiet_NaN());

    void add(const Trial& trial);
    /// One value per evaluation, in the order added.
    const std::vector<double>& curve() const { return m_curve; }
    /// The current best; `beforeFirstOk` until an evaluation ran.
    double best() const { return m_best; }
    /// Sequence number of the trial that set the current best; 0 when none did.
    int bestSequence() const { return m_bestSequence; }
    /// Indices (into curve()) where the best improved, for drawing the curve as steps.
    const std::vector<int>& improvements() const { return m_improvements; }

private:
    std::vector<double> m_curve;
    std::vector<int> m_improvements;
    double m_best;
    bool m_haveOk = false;
    int m_bestSequence = 0;
};

} // namespace dv

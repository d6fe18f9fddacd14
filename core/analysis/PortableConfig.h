#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace dv {

/// One configuration that ran ok on every compared GPU, with what it costs on each.
struct PortableCandidate {
    QString key;                 ///< configuration key (ConfigSpace::key)
    QJsonObject config;
    std::vector<double> slowdown; ///< per GPU: its time there / that GPU's own best (>= 1)
    double worst = 0;            ///< the largest slowdown
    int worstGpu = -1;           ///< where it is largest (the first such GPU)
    double geomean = 0;          ///< geometric mean of the slowdowns
};

/// The most portable configuration of one kernel space over several GPUs: the configuration whose
/// worst slowdown against each GPU's own best is smallest (minimax), and the one with the smallest
/// geometric mean of those slowdowns. Only configurations measured ok on every GPU qualify: one a
/// GPU never measured (absent from its dataset, or not tried by its session) is unknown there, not
/// good, and one that failed anywhere is out. Each GPU's "own best" is its fastest ok
/// configuration, whether or not that one qualifies (for a session: the best it found).
///
/// Ties: minimax prefers the smaller geometric mean, then the smaller key; the geometric-mean
/// variant prefers the smaller worst slowdown, then the smaller key.
class PortableConfig {
public:
    /// Fails when fewer than two landscapes, their parameters differ, one has no ok
    /// configuration, or no configuration ran ok on all of them (the message gives the counts).
    static Result<PortableConfig> compute(const std::vector<Landscape>& landscapes);

    const QStringList& names() const { return m_names; }
    /// Distinct configurations seen on any GPU (the union of the landscapes' keys).
    int candidates() const { return m_candidates; }
    /// Of those, how many ran ok on every GPU.
    int qualified() const { return int(m_qualified.size()); }
    /// Excluded because they failed (compile error, crash, timeout, wrong result, ...) on some GPU.
    int excludedFailed() const { return m_excludedFailed; }
    /// Excluded, without a failure, because some GPU never measured them (unknown there).
    int excludedUnknown() const { return m_excludedUnknown; }
    /// Per GPU: configurations that failed there / were not measured there (of the union).
    const std::vector<int>& failedOn() const { return m_failedOn; }
    const std::vector<int>& unknownOn() const { return m_unknownOn; }
    /// Each GPU's own best time, in ms.
    const std::vector<double>& bestMs() const { return m_bestMs; }

    const PortableCandidate& minimax() const { return m_qualified[size_t(m_minimax)]; }
    const PortableCandidate& geomean() const { return m_qualified[size_t(m_geomean)]; }
    /// Every qualified configuration, ordered by the minimax rule (best first).
    const std::vector<PortableCandidate>& ranked() const { return m_qualified; }
    /// What was excluded and why, in one sentence a user can read.
    QString exclusionText() const;

private:
    QStringList m_names;
    int m_candidates = 0;
    int m_excludedFailed = 0;
    int m_excludedUnknown = 0;
    std::vector<int> m_failedOn;
    std::vector<int> m_unknownOn;
    std::vector<double> m_bestMs;
    std::vector<PortableCandidate> m_qualified;
    int m_minimax = -1;
    int m_geomean = -1;
};

} // namespace dv

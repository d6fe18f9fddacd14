#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace dv {

/// Spearman's rank correlation of two landscapes over the configurations that ran on both.
struct RankCorrelation {
    /// Below this many common configurations a rank correlation says little: even at 20 pairs
    /// the 95 % interval around a true correlation of zero is about +-0.44 (Fisher's z), so
    /// views show a warning with the number.
    static constexpr int kFewCommon = 20;

    double rho = 0; ///< NaN when fewer than two common ok configurations (or no spread)
    int count = 0;  ///< common ok configurations compared

    bool fewCommon() const { return count < kFewCommon; }
};

/// How well a configuration tuned on one GPU carries over to others. Landscapes are matched by
/// configuration key, so they need the same parameters but not the same valid set or order.
class Portability {
public:
    /// Fails when fewer than two landscapes, a landscape has no ok configuration, or their
    /// parameter names differ (they are not the same kernel space).
    static Result<Portability> compute(const std::vector<Landscape>& landscapes);

    int size() const { return int(m_names.size()); }
    const QStringList& names() const { return m_names; }
    /// Time on GPU `j` of the configuration fastest on GPU `i`, divided by GPU `j`'s own best:
    /// 1 on the diagonal, >= 1 elsewhere; NaN when that configuration did not run on `j`.
    double slowdown(int i, int j) const { return m_slowdown[size_t(i) * m_names.size() + size_t(j)]; }
    /// What happened to GPU `i`'s best on GPU `j`: Ok, its failure, or Invalid when `j` lacks it.
    Status status(int i, int j) const { return m_status[size_t(i) * m_names.size() + size_t(j)]; }
    /// True when GPU `j`'s landscape is partial (a session's trials) and never measured GPU `i`'s
    /// best: nothing is known there, which is neither a failure nor "not in the dataset".
    bool unmeasured(int i, int j) const { return m_unmeasured[size_t(i) * m_names.size() + size_t(j)]; }
    /// Configuration key of the fastest configuration on GPU `i`.
    const QString& bestKey(int i) const { return m_bestKeys[size_t(i)]; }
    double bestMs(int i) const { return m_bestMs[size_t(i)]; }

    /// Spearman's rho with ties given their average rank (Pearson correlation of the ranks).
    static RankCorrelation spearman(const Landscape& a, const Landscape& b);
    /// The same over paired values (for tests and scatter plots); pairs need not be sorted.
    static RankCorrelation spearman(const std::vector<double>& x, const std::vector<double>& y);

private:
    QStringList m_names;
    std::vector<QString> m_bestKeys;
    std::vector<double> m_bestMs;
    std::vector<double> m_slowdown;
    std::vector<Status> m_status;
    std::vector<bool> m_unmeasured;
};

} // namespace dv

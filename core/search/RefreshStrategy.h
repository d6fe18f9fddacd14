#pragma once

#include "search/BayesianStrategy.h"
#include "search/Strategy.h"

#include <QJsonObject>

#include <memory>
#include <vector>

namespace dv {

/// What a refresh decided about the old platform, read back from a history (RefreshStrategy::verdict).
struct RefreshVerdict {
    enum class Mode { Seeds, Transfer, Cold };
    Mode mode = Mode::Seeds;  ///< Seeds: the old best configurations are still being measured
    QString why;              ///< one line: the agreement figure or the failure that decided the mode
    double spread = 0;        ///< max/min over the seeds of (time on B / time on A); 0 when unknown
    bool confirmed = false;   ///< the patience rule holds: nothing more to measure
};

/// Re-tunes a kernel on a new platform (B) from what an old one (A) knows (`dejavu-tune refresh`):
///
/// 1. Seeds: the configurations in option "seeds" (A's best few at this problem key, then the best of
///    its neighbours in A's ladder) are measured first, in order.
/// 2. The agreement check, seed by seed: A is trusted when every seed A ran successfully also
///    runs on B and the ratio (time on B / time on A, A's time from option "prior") varies over
///    the seeds by at most the factor "agreement" (default 1.25). On a platform A predicts, its
///    best configurations keep their relative times; on another vendor's GPU or a problem of
///    another shape they scatter (docs/benchmarks.md, "Refresh"). The first disagreement ends the
///    seeds: a misleading A costs only the evaluations that showed it.
/// 3. Transfer: bayes warm-started with A's observations ("prior"). Cold: the search a cold bayes
///    makes on B: the measured seeds are taken (never proposed again) but hidden from its model
///    ("coldSeeds": "hidden", the default; "observed" shows them to it, after the seeds the whole
///    cold initial design), so a misleading A costs the seeds and nothing after them.
/// 4. Patience: the search ends (propose() returns nothing) once the best time has not improved by
///    more than "tolerance" (a fraction, default 0.01) in the last "patience" evaluations (default
///    10) after the seeds. In the cold mode A confirms nothing, so the search ends as a cold one
///    does, at the budget ("coldPatience", default 0: no patience stop; a cold bayes search has
///    plateaus of 30 evaluations and more before its last gains). 0 disables a rule.
///
/// "crossCheck": true measures the seeds only (all of them, whatever the agreement check says)
/// and then proposes nothing: each GPU's best configurations timed on the other (issue 16 item 5).
/// Options beyond those: "bayes" (the inner bayes strategy's options; "prior" is set by the mode).
/// Not in StrategyFactory::names(): it is what refresh sessions are created with, so that a
/// stored one is resumed by name, not a strategy to choose by hand.
class RefreshStrategy : public Strategy {
public:
    explicit RefreshStrategy(const QJsonObject& options = {});
    QString name() const override { return QStringLiteral("refresh"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;
    QJsonObject saveState() const override;
    bool restoreState(const QJsonObject& state) override;

    /// The mode and the patience rule for `history` (deterministic: the seeds' outcomes decide).
    RefreshVerdict verdict(const SearchHistory& history) const;

    /// "seeds", "transfer" or "cold".
    static QString modeName(RefreshVerdict::Mode mode);

    static constexpr int kDefaultPatience = 10;
    static constexpr double kDefaultTolerance = 0.01;
    static constexpr double kDefaultAgreement = 1.25;

private:
    RefreshVerdict decide(const SearchHistory& history) const;
    bool patienceHolds(const SearchHistory& history, int patience) const;
    void createInner(RefreshVerdict::Mode mode);
    bool hidesSeeds() const;

    QJsonObject m_options;
    ConfigSpace m_space;
    quint64 m_seed = 0;
    std::vector<qint64> m_seeds;      // seed indices in this space, in order, distinct
    std::vector<double> m_seedPriorMs; // A's time of each seed at this key; 0 when A has none or it failed there
    std::vector<bool> m_seedPriorFailed; // A measured the seed here and it failed
    int m_patience = kDefaultPatience;
    int m_coldPatience = 0;
    double m_tolerance = kDefaultTolerance;
    double m_agreement = kDefaultAgreement;
    RefreshVerdict::Mode m_innerMode = RefreshVerdict::Mode::Seeds;
    std::unique_ptr<BayesianStrategy> m_inner;
};

} // namespace dv

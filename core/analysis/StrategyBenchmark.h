#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace dv {

/// How one strategy did on one landscape at one budget, over many seeds.
struct StrategyScore {
    QString landscape;
    QString strategy;
    int budget = 0;
    int seeds = 0;
    double shareWithin5 = 0;   ///< share of runs whose best after `budget` is within 5% of the optimum
    double shareWithin1 = 0;
    double medianEvalsTo5 = 0; ///< median over runs of the evaluations needed to get within 5%; +inf if most never did
    double meanBestOverOptimum = 0;
    /// Willemsen et al. (2024): mean over t of (S_random(t) - F(t)) / (S_random(t) - S_opt), with F the
    /// mean best-so-far curve over runs; 0 is random search, 1 finds the optimum at once.
    double methodologyScore = 0;
    double meanProposalMs = 0; ///< time the strategy itself spent per proposal
};

/// Runs strategies on recorded landscapes and scores them. Every evaluation counts, failed ones
/// included; before the first valid evaluation the best-so-far is the landscape's slowest valid
/// time; a run that stops early keeps its best to the budget.
class StrategyBenchmark {
public:
    /// S_random(t) for t = 1..maxT: the expected best of random search without replacement after t
    /// draws, exactly, with failed configurations counting as draws (at the slowest valid time).
    static std::vector<double> expectedRandomBest(const Landscape& landscape, int maxT);

    /// Best-so-far after each of `budget` evaluations of one seeded run. `proposalMs`, if given,
    /// receives the mean time per proposal. `parallel` > 1 plays a session on that many slots:
    /// up to `parallel` configurations in flight (pending in the history when the next is
    /// proposed), finishing in the order they started, so that the curve counts evaluations as
    /// an asynchronous K-slot session commits them.
    static Result<std::vector<double>> run(const Landscape& landscape, const QString& strategy,
                                           const QJsonObject& options, quint64 seed, int budget,
                                           double* proposalMs = nullptr, int parallel = 1);

    /// Scores a strategy at each budget over seeds firstSeed..firstSeed + seeds - 1 (runs once per
    /// seed to the largest budget; smaller budgets are prefixes). Seeds run on `threads` threads.
    /// Another `firstSeed` gives an independent sample of runs, to tell a change from seed noise.
    static Result<std::vector<StrategyScore>> score(const Landscape& landscape, const QString& strategy,
                                                    const QJsonObject& options, const std::vector<int>& budgets,
                                                    int seeds, int threads = 1, quint64 firstSeed = 1, int parallel = 1);

    /// The score of given best-so-far curves (one per run, each at least `budget` long).
    static StrategyScore scoreCurves(const Landscape& landscape, const std::vector<std::vector<double>>& curves,
                                     int budget);
};

} // namespace dv

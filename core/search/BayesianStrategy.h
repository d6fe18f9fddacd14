#pragma once

#include "base/Rng.h"
#include "search/AcquisitionScores.h"
#include "search/Strategy.h"
#include "search/model/FeasibilityModel.h"
#include "search/model/GaussianProcess.h"
#include "space/ConfigEncoder.h"
#include "space/Neighbourhood.h"

#include <QJsonObject>

#include <array>
#include <memory>
#include <random>

namespace dv {

/// Bayesian optimisation over a discrete configuration space.
///
/// - Surrogate: a Gaussian process (Matérn 5/2, ARD length scales fitted by marginal likelihood)
///   on the normal scores (Gaussian copula of the ranks) of the successful run times, so the slow tail
///   does not dominate the fit; failures do not enter the regression.
/// - Level columns (option "levels", default "auto"): beside the rank of each numeric parameter, a
///   one-hot block of its values with one shared length scale (ConfigEncoder), so that a parameter
///   can act ordinally, categorically or both (a block size that is fast only at multiples of the
///   wavefront). In "auto" mode a model with and one without them are fitted at each hyper-parameter
///   refit while there are at most 200 successes, and the one with them is used until the next refit
///   only if it predicts the observations clearly better: its leave-one-out log predictive density
///   exceeds the plain model's by more than twice the standard error of the difference (option
///   "levelRule": "bic" uses the better BIC instead, the rule before). Past 200 the choice is kept.
///   The feasibility model never sees the level columns.
/// - Failures: a feasibility model learns p(valid) from every outcome and weights the acquisition.
/// - Acquisition: expected improvement, probability of improvement and a lower confidence bound,
///   chosen by a GP-Hedge portfolio (Hoffman et al. 2011) that favours whichever has been nominating
///   configurations the model now believes are fast.
/// - Operator portfolio: every third model-based proposal (two in three once the incumbent has not
///   improved for a few evaluations) comes from a model-light operator, since a stationary kernel smooths
///   over sharp interactions (num_warps x tile size): either the best acquisition among the one-parameter
///   changes of the three best configurations (and the two-parameter changes of the best once every
///   one-parameter change of it is measured: two tile sizes swapped), or a GA child (uniform crossover of two of the best eight
///   plus mutation, repaired to an untaken valid configuration). Thompson sampling on Beta posteriors of
///   each operator's improvements of the incumbent picks which; every draw is seeded.
/// - Candidates: every untried valid configuration when the space is small, otherwise a large random
///   sample plus the neighbours of the best configurations so far.
/// - Initial design: the configuration nearest the centre of the encoded space, then maximin over the
///   valid set, sized by the number of informative dimensions.
/// - Batches and other slots' evaluations in flight: kriging believer (they count as observed at the last
///   model's mean there, never better than the best; option "pending": "liar" for constant liars).
/// - Warm start: prior observations of the same kernel on another GPU or problem size (option
///   "prior": [{"config": {...}, "objective": ms or null}]). Their best two configurations are proposed
///   first; a GP fitted once to the prior's normal scores gives every configuration a "prior score", an
///   extra input of this landscape's GP whose learnt length scale decides how much the other landscape
///   says about this one (so per-proposal cost is that of a cold start); prior failures enter the
///   feasibility model.
///
/// Options: "levels" ("auto", true or false), "levelRule" ("loo" or "bic"), "initial" (initial design size), "candidates"
/// (maximum candidates, default 20000),
/// "threads" (model threads, default 1), "prior", "restarts" (random restarts of the GP
/// hyper-parameter search while there are at most 200 observations, default 2), "operatorPeriod"
/// (one model-based proposal in this many comes from an operator, default 3), "pending"
/// ("believer", the default: configurations in flight, of other slots or of this batch, count as
/// observed at the last model's mean there, never better than the best: kriging believer; or
/// "liar": at the best score, constant liar).
///
/// Resuming: saveState()/restoreState() carry the portfolio statistics, the random engine, the refit
/// counter, the level-column choice and the warm starts of the models, so a resumed search proposes
/// what an uninterrupted one would.
class BayesianStrategy : public Strategy {
public:
    explicit BayesianStrategy(const QJsonObject& options = {});
    /// The size of the cold initial design on `space` (without "initial" and without a prior).
    static int defaultInitialSize(const ConfigSpace& space);
    QString name() const override { return QStringLiteral("bayes"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;
    /// The portfolio statistics (GP-Hedge gains and last nominees, which operator proposed what),
    /// the random engine, the refit counter and the warm starts of the GP and feasibility fits.
    QJsonObject saveState() const override;
    bool restoreState(const QJsonObject& state) override;

private:
    /// What propose() reads from the history once: the successes (index, log time), every outcome, and
    /// the operator statistics replayed from it.
    struct HistorySummary {
        std::vector<qint64> okIndex;
        std::vector<double> okLog;
        std::vector<qint64> allIndex;
        std::vector<bool> allValid;
        std::array<double, 2> successes{{0, 0}}, failures{{0, 0}}; // per operator: improved the incumbent or not
        int stalled = 0;         // evaluations since the incumbent last improved
        bool anyFailure = false; // a failure in the history or in the prior
    };
    /// The surrogate fitted for one proposal: which model (with or without level columns), its
    /// training targets (normal scores, pending points as liars) and the best score.
    struct SurrogateFit {
        bool plainModel = false; // auto mode chose the model without level columns: m_gpPlain
        double bestScore = 0;
        Eigen::VectorXd y;
    };

    // BayesianSurrogate.cpp: the surrogate choice and the feasibility model.
    HistorySummary summarise(const SearchHistory& history) const;
    /// Fits the GP (in auto mode choosing between level columns and none) to the successes and the
    /// batch so far; false when the fit failed.
    /// `liars`: configurations being evaluated (other slots' and this batch's), fitted at
    /// liarScore(); `first`: the first proposal of this call (hyper-parameters may be refitted).
    bool fitSurrogate(const HistorySummary& summary, const std::vector<qint64>& liars, bool first, SurrogateFit& fit);
    /// Refits the feasibility model to every outcome and the prior's failures.
    void fitFeasibility(const HistorySummary& summary);

    // BayesianAcquisition.cpp: the GP-Hedge portfolio over EI, PI and LCB.
    /// The surrogate's acquisition values at the candidates, weighted by the feasibility model (refitted
    /// first, on the first proposal of a batch, when anything has failed).
    AcquisitionScores scoreCandidates(std::vector<qint64> candidates, const HistorySummary& summary,
                                      const SurrogateFit& fit, bool firstOfBatch);
    /// The candidate the portfolio picks (a row of `scores`); the first model-based proposal of a call
    /// rewards the acquisitions first (`hedgeUpdated`), the first of a batch records the nominees.
    Eigen::Index hedgePick(AcquisitionScores& scores, const SurrogateFit& fit, bool& hedgeUpdated,
                           bool firstOfBatch);

    // BayesianOperators.cpp: the operator bandit.
    /// On an operator step, the configuration the operator drawn by Thompson sampling proposes (and
    /// records it), else -1.
    qint64 operatorProposal(const SearchHistory& history, const std::vector<qint64>& batch,
                            const HistorySummary& summary, AcquisitionScores& scores);

    // Initialisation (BayesianStrategy.cpp).
    /// The initial design: the prior's best two, then the configuration nearest the centre, then maximin.
    void buildInitialDesign(quint64 seed, const std::vector<std::pair<double, qint64>>& priorBest);
    /// Fits the prior landscape's GP (m_priorGp, m_priorFeature) and keeps its failures (m_priorFailX).
    void fitPrior(quint64 seed, const std::vector<qint64>& priorIndex, const std::vector<double>& priorTimes,
                  const std::vector<bool>& priorValid);

    qint64 nextInitial(const SearchHistory& history, const std::vector<qint64>& batch);
    std::vector<qint64> candidates(const SearchHistory& history, const std::vector<qint64>& batch);
    /// Untaken configurations one parameter away from the best few seen so far, and two parameters
    /// away from the best once all its one-parameter changes are taken (Neighbourhood::movesFrom).
    std::vector<qint64> localCandidates(const SearchHistory& history, const std::vector<qint64>& batch) const;
    Eigen::MatrixXd encodeRows(const std::vector<qint64>& indices) const;
    /// The columns of encodeRows() the feasibility model sees: without the level columns.
    Eigen::MatrixXd feasibilityColumns(const Eigen::MatrixXd& X) const;
    /// Length-scale groups of the GP's columns (the encoder's, without its level columns unless
    /// `levelColumns`, then the prior column's).
    std::vector<int> lengthScaleGroups(bool levelColumns) const;
    /// A child of two of the best configurations (uniform crossover, then mutation), repaired to an
    /// untaken valid configuration, or -1.
    qint64 crossoverChild(const SearchHistory& history, const std::vector<qint64>& batch, Rng& rng) const;

    QJsonObject m_options;
    ConfigSpace m_space;
    std::unique_ptr<ConfigEncoder> m_encoder;
    std::unique_ptr<Neighbourhood> m_neighbourhood;
    Eigen::MatrixXd m_encodedAll; // every valid configuration, when the space is small enough
    std::vector<qint64> m_initialDesign;
    int m_initialSize = 0;
    int m_candidateLimit = 20000;
    int m_threads = 1;
    int m_restarts = 2;       // random restarts of the GP hyper-parameter search (200 observations or fewer)
    int m_operatorPeriod = 3; // every this many model-based proposals, one comes from an operator
    bool m_levelsAuto = false;     // option "levels" "auto": with or without level columns, chosen at each refit
    bool m_levelRuleBic = false;   // option "levelRule" "bic": chosen by BIC, not by leave-one-out prediction
    GaussianProcess m_gpPlain;     // the model without level columns (auto mode)
    int m_levelChoice = -1;        // auto mode: 1 with level columns, 0 without, -1 not chosen yet
    std::mt19937_64 m_engine;
    GaussianProcess m_gp;
    bool m_believer = true;        // option "pending": "believer" (default) or "liar"
    /// The training target of a configuration in flight: the best score (constant liar), or the
    /// last fitted model's mean there (kriging believer), never better than the best.
    double liarScore(qint64 index, double bestScore) const;
    FeasibilityModel m_feasibility;
    int m_fits = 0;
    QString m_spaceKey; // space name and size: a saved state belongs to this space only

    // Warm start: a GP fitted once to the prior landscape's normal scores; its posterior mean, scaled to
    // [0,1], is an extra input column of this landscape's GP (m_priorFeature caches it for every
    // configuration when the space is small). Prior failures inform the feasibility model.
    GaussianProcess m_priorGp;
    Eigen::VectorXd m_priorFeature;
    double m_priorLo = 0, m_priorHi = 1;
    Eigen::MatrixXd m_priorFailX;
    bool m_hasPrior = false;

    // Operator portfolio of the non-model proposals: 0 = best-acquisition neighbour of the best few,
    // 1 = crossover of two of the best. Which operator nominated which configuration; successes are
    // evaluations that improved the incumbent.
    std::vector<std::pair<qint64, int>> m_operatorOf;

    // GP-Hedge portfolio over {EI, PI, LCB}.
    std::array<double, 3> m_gains{{0, 0, 0}};
    std::array<qint64, 3> m_lastNominees{{-1, -1, -1}};
};

} // namespace dv

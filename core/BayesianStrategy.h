#pragma once

#include "ConfigEncoder.h"
#include "FeasibilityModel.h"
#include "GaussianProcess.h"
#include "Neighbourhood.h"
#include "Strategy.h"

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
/// - Failures: a feasibility model learns p(valid) from every outcome and weights the acquisition.
/// - Acquisition: expected improvement, probability of improvement and a lower confidence bound,
///   chosen by a GP-Hedge portfolio (Hoffman et al. 2011) that favours whichever has been nominating
///   configurations the model now believes are fast. Every third model-based proposal is local: the
///   best acquisition among the one-parameter changes of the three best configurations so far.
/// - Candidates: every untried valid configuration when the space is small, otherwise a large random
///   sample plus the neighbours of the best configurations so far.
/// - Initial design: the configuration nearest the centre of the encoded space, then maximin over the
///   valid set, sized by the number of informative dimensions.
/// - Batches: constant liar (pending points count as observed at the best value so far).
/// - Warm start: prior observations of the same kernel on another GPU or problem size (option
///   "prior": [{"config": {...}, "objective": ms or null}]) seed the first proposals and enter the
///   surrogate (as normal scores within the prior landscape) through an extra "task" input whose
///   length scale is learnt, so the model decides how much the other landscape says about this one.
///
/// Options: "initial" (initial design size), "candidates" (maximum candidates, default 20000),
/// "threads" (model threads, default 1), "prior".
class BayesianStrategy : public Strategy {
public:
    explicit BayesianStrategy(const QJsonObject& options = {});
    QString name() const override { return QStringLiteral("bayes"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;

private:
    qint64 nextInitial(const SearchHistory& history, const std::vector<qint64>& batch);
    std::vector<qint64> candidates(const SearchHistory& history, const std::vector<qint64>& batch);
    /// Untaken configurations one parameter away from the best few seen so far, sorted.
    std::vector<qint64> localCandidates(const SearchHistory& history, const std::vector<qint64>& batch) const;
    Eigen::MatrixXd encodeRows(const std::vector<qint64>& indices, double task) const;

    QJsonObject m_options;
    ConfigSpace m_space;
    std::unique_ptr<ConfigEncoder> m_encoder;
    std::unique_ptr<Neighbourhood> m_neighbourhood;
    Eigen::MatrixXd m_encodedAll; // every valid configuration, when the space is small enough
    std::vector<qint64> m_initialDesign;
    int m_initialSize = 0;
    int m_candidateLimit = 20000;
    int m_threads = 1;
    std::mt19937_64 m_engine;
    GaussianProcess m_gp;
    FeasibilityModel m_feasibility;
    int m_fits = 0;

    // Warm start: prior observations mapped into this space.
    Eigen::MatrixXd m_priorX;
    Eigen::VectorXd m_priorLogTime; // centred on its median
    std::vector<bool> m_priorValid;
    bool m_hasPrior = false;

    // GP-Hedge portfolio over {EI, PI, LCB}.
    std::array<double, 3> m_gains{{0, 0, 0}};
    std::array<qint64, 3> m_lastNominees{{-1, -1, -1}};
};

} // namespace dv

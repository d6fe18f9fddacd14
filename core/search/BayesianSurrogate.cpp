// BayesianStrategy, part two: what a proposal reads from the history, the surrogate choice (with or
// without level columns) and the feasibility model.

#include "search/BayesianStrategy.h"

#include "search/NormalScores.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dv {

namespace {

// BIC of the model with level columns minus that of the plain one (log marginal likelihood minus half the
// hyper-parameter count times log n).
double bicGain(const GaussianProcess& levels, const GaussianProcess& plain)
{
    const double logN = std::log(double(levels.size()));
    auto bic = [&](const GaussianProcess& gp) {
        return gp.logMarginalLikelihood() - 0.5 * double(gp.hyperParameters().size()) * logN;
    };
    return bic(levels) - bic(plain);
}

// Whether the model with level columns predicts the observations clearly better than the plain one: its
// leave-one-out log predictive density exceeds the plain model's by more than twice the standard error of the
// difference (looAdvantage), so that the richer model is not taken on the noise of a few points. Unlike BIC this
// judges the models by what they predict rather than by how many hyper-parameters they have (the level columns
// add one length scale per parameter, which BIC charges for even where the fit uses them well).
bool levelColumnsPredictBetter(const GaussianProcess& levels, const GaussianProcess& plain)
{
    return looAdvantage(levels, plain) > 2.0; // false for NaN
}

} // namespace

BayesianStrategy::HistorySummary BayesianStrategy::summarise(const SearchHistory& history) const
{
    HistorySummary s;
    for (const Observation& o : history.observations()) {
        s.allIndex.push_back(o.index);
        s.allValid.push_back(o.ok());
        if (o.ok() && o.objectiveMs > 0) {
            s.okIndex.push_back(o.index);
            s.okLog.push_back(std::log(o.objectiveMs));
        }
    }
    // Operator statistics, replayed from the history: a success is an evaluation that beat every earlier one.
    double running = std::numeric_limits<double>::infinity();
    for (const Observation& o : history.observations()) {
        const bool improved = o.ok() && o.objectiveMs < running;
        for (const auto& [index, op] : m_operatorOf) {
            if (index == o.index)
                (improved ? s.successes : s.failures)[size_t(op)] += 1;
        }
        if (improved) {
            running = o.objectiveMs;
            s.stalled = 0;
        } else {
            ++s.stalled;
        }
    }
    s.anyFailure = std::find(s.allValid.begin(), s.allValid.end(), false) != s.allValid.end() || m_priorFailX.rows() > 0;
    return s;
}

bool BayesianStrategy::fitSurrogate(const HistorySummary& summary, const std::vector<qint64>& liars, bool first,
                                     SurrogateFit& fit)
{
    // Training data: successes, what is being evaluated (other slots, the batch so far) as liars
    // (liarScore: the model's belief or the best score), and the prior.
    const std::vector<double> okScore = normalScores(summary.okLog);
    const double bestLog = *std::min_element(okScore.begin(), okScore.end());
    std::vector<qint64> rows = summary.okIndex;
    std::vector<double> ys = okScore;
    for (qint64 pending : liars) {
        rows.push_back(pending);
        ys.push_back(liarScore(pending, bestLog));
    }
    const Eigen::MatrixXd X = encodeRows(rows);
    const Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(ys.data(), Eigen::Index(ys.size()));
    const size_t okCount = summary.okIndex.size();
    GpOptions gpOptions;
    gpOptions.threads = m_threads;
    // With many observations the previous optimum is a good start and random restarts rarely
    // win; they would double the cost of a refit (bench/bench_strategy_proposal).
    gpOptions.restarts = okCount > 200 ? 0 : m_restarts;
    // Past 200 observations every fit but the first starts from the previous optimum, so a short
    // search each time refines it; this also bounds the cold first fit.
    gpOptions.maxIterations = okCount > 200 ? 20 : 50;
    gpOptions.lengthScaleGroups = lengthScaleGroups(true);
    // Hyper-parameters are refitted on every proposal while data is scarce, then every third one.
    gpOptions.refitHyper = first && (okCount <= 40 || m_fits % 3 == 0);
    bool plainModel = false;
    try {
        if (!m_levelsAuto) {
            m_gp.fit(X, y, m_engine, gpOptions);
        } else {
            // Model choice, made whenever the hyper-parameters are refitted: the level columns are used
            // only where that model predicts the observations clearly better by leave-one-out
            // (levelColumnsPredictBetter; or has the better BIC, option "levelRule": "bic"). In between
            // only the chosen model is refactorised.
            // The choice is made while data is scarce (at most 200 successes), where it matters; later
            // it is kept, and a search that starts cold on a long history uses the plain model, so
            // that a proposal never pays for two fits there.
            const bool scarce = okCount <= 200;
            if (!scarce && m_levelChoice < 0)
                m_levelChoice = 0;
            const bool choose = scarce && (gpOptions.refitHyper || m_levelChoice < 0);
            gpOptions.leaveOneOut = choose && !m_levelRuleBic; // only the choice needs them
            GpOptions plainOptions = gpOptions;
            plainOptions.lengthScaleGroups = lengthScaleGroups(false);
            if (choose || m_levelChoice == 1)
                m_gp.fit(X, y, m_engine, gpOptions);
            if (choose || m_levelChoice == 0)
                m_gpPlain.fit(feasibilityColumns(X), y, m_engine, plainOptions);
            if (choose)
                m_levelChoice = m_levelRuleBic ? (bicGain(m_gp, m_gpPlain) > 0 ? 1 : 0)
                                               : (levelColumnsPredictBetter(m_gp, m_gpPlain) ? 1 : 0);
            plainModel = m_levelChoice != 1;
        }
    } catch (const std::exception&) {
        return false;
    }
    if (first)
        ++m_fits;
    fit.plainModel = plainModel;
    fit.bestScore = bestLog;
    fit.y = y;
    return true;
}

double BayesianStrategy::liarScore(qint64 index, double bestScore) const
{
    if (!m_believer)
        return bestScore;
    const bool plain = m_levelsAuto && m_levelChoice != 1;
    const GaussianProcess& model = plain ? m_gpPlain : m_gp;
    if (!model.isFitted())
        return bestScore;
    try {
        Eigen::MatrixXd X = encodeRows({index});
        if (plain)
            X = feasibilityColumns(X);
        const double mean = model.predictMean(X)[0];
        return std::isfinite(mean) ? std::max(mean, bestScore) : bestScore;
    } catch (const std::exception&) {
        return bestScore; // a model of another shape (the first fit of a level choice)
    }
}

void BayesianStrategy::fitFeasibility(const HistorySummary& summary)
{
    Eigen::MatrixXd Xf = feasibilityColumns(encodeRows(summary.allIndex));
    std::vector<bool> valid = summary.allValid;
    if (m_priorFailX.rows() > 0) { // the prior's failures (a shared-memory limit usually carries over)
        Eigen::MatrixXd Xb(Xf.rows() + m_priorFailX.rows(), Xf.cols());
        Xb.topRows(Xf.rows()) = Xf;
        Xb.bottomRows(m_priorFailX.rows()) = m_priorFailX;
        Xf = std::move(Xb);
        valid.insert(valid.end(), size_t(m_priorFailX.rows()), false);
    }
    FeasibilityOptions fo;
    fo.threads = m_threads;
    // Past 40 observations the feasibility length scales are refitted on the proposal after the
    // GP's refit, not with it, so that no proposal pays for both fits.
    fo.refitLengthScales = m_fits % 3 == 2 || summary.allIndex.size() <= 40;
    fo.priorStart = summary.allIndex.size() <= 200; // as the GP's random restarts

    try {
        m_feasibility.fit(Xf, valid, m_engine, fo);
    } catch (const std::exception&) {
    }
}

} // namespace dv

#include "search/BayesianStrategy.h"

#include "base/Rng.h"
#include "search/Recombination.h"
#include "search/StrategyUtil.h"
#include "search/model/Acquisition.h"

#include <QJsonArray>

#include <sstream>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dv {

namespace {

constexpr double kLcbKappa = 1.96;
constexpr double kHedgeEta = 1.0;
constexpr int kStall = 6;

// A Beta(a, b) draw for integer a, b >= 1: the a-th smallest of a + b - 1 uniforms (portable, unlike
// std::gamma_distribution).
double betaSample(Rng& rng, double a, double b)
{
    const int n = int(a + b) - 1;
    std::vector<double> u(size_t(std::max(1, n)));
    for (double& x : u)
        x = rng.uniform();
    std::nth_element(u.begin(), u.begin() + std::ptrdiff_t(int(a) - 1), u.end());
    return u[size_t(int(a) - 1)];
}

// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
double normalQuantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    constexpr double low = 0.02425;
    if (p < low) {
        const double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - low)
        return -normalQuantile(1 - p);
    const double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Gaussian copula of the targets: each value becomes the normal quantile of its rank ((r + 0.5) / n, ties
// sharing their mean rank). Run times span orders of magnitude and the slow tail would otherwise dominate the
// GP's signal variance and length scales, leaving no resolution among the fast configurations that matter.
std::vector<double> normalScores(const std::vector<double>& v)
{
    const size_t n = v.size();
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
    std::vector<double> out(n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[order[j + 1]] == v[order[i]])
            ++j;
        const double rank = 0.5 * double(i + j);
        const double z = normalQuantile((rank + 0.5) / double(n));
        for (size_t k = i; k <= j; ++k)
            out[order[k]] = z;
        i = j + 1;
    }
    return out;
}

// The `count` fastest successful configurations so far, fastest first.
std::vector<qint64> bestSeen(const SearchHistory& history, size_t count)
{
    std::vector<Observation> ok;
    for (const Observation& o : history.observations())
        if (o.ok() && std::isfinite(o.objectiveMs))
            ok.push_back(o);
    const size_t top = std::min(count, ok.size());
    std::partial_sort(ok.begin(), ok.begin() + std::ptrdiff_t(top), ok.end(),
                      [](const Observation& a, const Observation& b) { return a.objectiveMs < b.objectiveMs; });
    std::vector<qint64> out;
    for (size_t i = 0; i < top; ++i)
        out.push_back(ok[i].index);
    return out;
}

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

BayesianStrategy::BayesianStrategy(const QJsonObject& options)
    : m_options(options)
{
}

void BayesianStrategy::initialize(const ConfigSpace& space, quint64 seed)
{
    m_space = space;
    // "levels": "auto" (default), true or false.
    const QJsonValue levels = m_options.value(QLatin1String("levels"));
    m_levelsAuto = levels.isUndefined() || levels.toString() == QLatin1String("auto");
    m_levelRuleBic = m_options.value(QLatin1String("levelRule")).toString() == QLatin1String("bic");
    const bool levelColumns = m_levelsAuto || levels.toBool(false);
    m_gpPlain = GaussianProcess();
    m_levelChoice = -1;
    m_encoder = std::make_unique<ConfigEncoder>(space, levelColumns);
    m_neighbourhood = std::make_unique<Neighbourhood>(space);
    m_engine.seed(proposalSeed(seed, -1));
    m_candidateLimit = std::max(100, m_options.value(QLatin1String("candidates")).toInt(20000));
    m_threads = std::max(1, m_options.value(QLatin1String("threads")).toInt(1));
    m_restarts = std::max(0, m_options.value(QLatin1String("restarts")).toInt(2));
    m_operatorPeriod = std::max(2, m_options.value(QLatin1String("operatorPeriod")).toInt(3));
    m_gains = {{0, 0, 0}};
    m_lastNominees = {{-1, -1, -1}};
    m_fits = 0;
    m_gp = GaussianProcess();
    m_feasibility = FeasibilityModel();
    m_spaceKey = space.name() + QLatin1Char('/') + QString::number(space.size());
    const qint64 n = space.size();

    if (n <= m_candidateLimit) {
        std::vector<qint64> all(static_cast<size_t>(n));
        for (qint64 i = 0; i < n; ++i)
            all[size_t(i)] = i;
        m_encodedAll = m_encoder->encode(all);
    } else {
        m_encodedAll.resize(0, 0);
    }

    // Warm start: keep the prior observations that exist in this space.
    m_hasPrior = false;
    std::vector<qint64> priorIndex;
    std::vector<double> priorTimes;
    std::vector<bool> priorValid;
    std::vector<std::pair<double, qint64>> priorBest;
    for (const QJsonValue& v : m_options.value(QLatin1String("prior")).toArray()) {
        const QJsonObject o = v.toObject();
        const qint64 index = space.indexOf(o.value(QLatin1String("config")).toObject());
        if (index < 0)
            continue;
        const QJsonValue objective = o.value(QLatin1String("objective"));
        const bool ok = objective.isDouble() && objective.toDouble() > 0;
        priorIndex.push_back(index);
        priorValid.push_back(ok);
        priorTimes.push_back(ok ? std::log(objective.toDouble()) : 0.0);
        if (ok)
            priorBest.emplace_back(objective.toDouble(), index);
    }
    std::sort(priorBest.begin(), priorBest.end());

    // Initial design: informative dimensions + 1, between 4 and 10; halved with a prior, whose best
    // configurations come first.
    const int dims = std::max(1, m_encoder->plainDimensions());
    m_initialSize = m_options.contains(QLatin1String("initial"))
        ? std::max(1, m_options.value(QLatin1String("initial")).toInt())
        : std::clamp(dims / 2 + 2, 3, 6);
    m_initialDesign.clear();
    if (!priorBest.empty()) {
        m_initialSize = std::max(2, m_initialSize / 2);
        for (size_t i = 0; i < priorBest.size() && m_initialDesign.size() < 2; ++i)
            m_initialDesign.push_back(priorBest[i].second);
    }
    Rng rng(proposalSeed(seed, -2));
    const qint64 pool = std::min<qint64>(n, 2000);
    std::vector<qint64> sample;
    if (pool == n) {
        for (qint64 i = 0; i < n; ++i)
            sample.push_back(i);
    } else {
        for (qint64 i = 0; i < pool; ++i)
            sample.push_back(qint64(rng.below(quint64(n))));
    }
    if (!sample.empty() && m_encoder->dimensions() > 0) {
        // The design starts at the configuration nearest the centre of the encoded cube (mid-range tiles and
        // unrolls are a good first guess on a GPU, and the first evaluations weigh most when the budget is
        // small), then spreads by maximin, which covers the extremes where some kernels have their optimum.
        // One-hot and two-valued columns are equidistant from the centre, so the ordinal parameters with three
        // or more values decide which configuration is central.
        const Eigen::MatrixXd X = m_encoder->encode(sample).leftCols(m_encoder->plainDimensions());
        const Eigen::RowVectorXd centre = Eigen::RowVectorXd::Constant(X.cols(), 0.5);
        Eigen::VectorXd radius = (X.rowwise() - centre).rowwise().squaredNorm();
        for (Eigen::Index i = 0; i < radius.size(); ++i) // seeded tie-break among equally central points
            radius[i] += 1e-9 * rng.uniform();
        Eigen::VectorXd nearest = Eigen::VectorXd::Constant(X.rows(), std::numeric_limits<double>::infinity());
        auto take = [&](Eigen::Index row) {
            m_initialDesign.push_back(sample[size_t(row)]);
            nearest = nearest.cwiseMin((X.rowwise() - X.row(row)).rowwise().squaredNorm());
        };
        for (qint64 chosen : m_initialDesign) { // prior picks also repel the space-filling ones
            const auto it = std::find(sample.begin(), sample.end(), chosen);
            if (it != sample.end())
                nearest = nearest.cwiseMin((X.rowwise() - X.row(it - sample.begin())).rowwise().squaredNorm());
        }
        if (m_initialDesign.empty()) {
            Eigen::Index central = 0;
            radius.minCoeff(&central);
            take(central);
        }
        while (int(m_initialDesign.size()) < m_initialSize && int(m_initialDesign.size()) < pool) {
            Eigen::Index far = 0;
            nearest.maxCoeff(&far);
            if (nearest[far] <= 0)
                break;
            take(far);
        }
    }

    m_operatorOf.clear();
    m_priorFeature.resize(0);
    m_priorFailX.resize(0, 0);
    if (!priorBest.empty() && m_encoder->dimensions() > 0) {
        // Fit the prior landscape once: the best 64 successes and a spread of 64 others, as normal scores over
        // every valid prior observation (quantiles of the other landscape). The target GP then sees the prior's
        // posterior mean as one more input, and its learnt length scale says how far the landscapes agree: a
        // short one where the ranking transfers, a long one (ignored) where it does not. Cheap per proposal,
        // unlike conditioning on the prior points themselves.
        std::vector<double> allOk;
        std::vector<size_t> okOrder, failed;
        for (size_t i = 0; i < priorIndex.size(); ++i) {
            if (priorValid[i]) {
                allOk.push_back(priorTimes[i]);
                okOrder.push_back(i);
            } else {
                failed.push_back(i);
            }
        }
        std::sort(allOk.begin(), allOk.end());
        std::sort(okOrder.begin(), okOrder.end(), [&](size_t x, size_t y) { return priorTimes[x] < priorTimes[y]; });
        std::vector<size_t> keep;
        const size_t head = std::min<size_t>(64, okOrder.size());
        keep.assign(okOrder.begin(), okOrder.begin() + std::ptrdiff_t(head));
        const size_t rest = okOrder.size() - head;
        for (size_t k = 0; k < rest && k < 64; ++k)
            keep.push_back(okOrder[head + (k * rest) / std::min<size_t>(rest, 64)]);
        std::vector<qint64> rows;
        Eigen::VectorXd y(Eigen::Index(keep.size()));
        for (size_t k = 0; k < keep.size(); ++k) {
            rows.push_back(priorIndex[keep[k]]);
            const double t = priorTimes[keep[k]];
            const auto lo = std::lower_bound(allOk.begin(), allOk.end(), t);
            const auto hi = std::upper_bound(allOk.begin(), allOk.end(), t);
            const double rank = 0.5 * double((lo - allOk.begin()) + (hi - allOk.begin()) - 1);
            y[Eigen::Index(k)] = normalQuantile((rank + 0.5) / double(allOk.size()));
        }
        GpOptions po;
        po.threads = m_threads;
        po.restarts = 2;
        po.maxIterations = 60;
        std::mt19937_64 priorEngine(proposalSeed(seed, -3));
        po.lengthScaleGroups = lengthScaleGroups(true); // no prior column yet
        try {
            m_priorGp.fit(encodeRows(rows), y, priorEngine, po); // m_hasPrior is still false: no extra column
            m_priorLo = y.minCoeff();
            m_priorHi = std::max(y.maxCoeff(), m_priorLo + 1e-9);
            m_hasPrior = true;
            if (m_encodedAll.rows() > 0)
                m_priorFeature = ((m_priorGp.predictMean(m_encodedAll).array() - m_priorLo) / (m_priorHi - m_priorLo))
                                     .matrix();
        } catch (const std::exception&) {
            m_hasPrior = false;
        }
        if (m_hasPrior && !failed.empty()) {
            std::vector<qint64> fr;
            for (size_t k = 0; k < failed.size() && k < 32; ++k)
                fr.push_back(priorIndex[failed[(k * failed.size()) / std::min<size_t>(failed.size(), 32)]]);
            m_priorFailX = feasibilityColumns(encodeRows(fr));
        }
    }
}

Eigen::MatrixXd BayesianStrategy::feasibilityColumns(const Eigen::MatrixXd& X) const
{
    const int plain = m_encoder->plainDimensions(), d = m_encoder->dimensions();
    if (plain == d)
        return X;
    Eigen::MatrixXd out(X.rows(), X.cols() - (d - plain));
    out.leftCols(plain) = X.leftCols(plain);
    out.rightCols(X.cols() - d) = X.rightCols(X.cols() - d);
    return out;
}

std::vector<int> BayesianStrategy::lengthScaleGroups(bool levelColumns) const
{
    std::vector<int> groups = m_encoder->lengthScaleGroups();
    if (!levelColumns)
        groups.resize(size_t(m_encoder->plainDimensions()));
    if (m_hasPrior)
        groups.push_back(groups.empty() ? 0 : *std::max_element(groups.begin(), groups.end()) + 1);
    return groups;
}

Eigen::MatrixXd BayesianStrategy::encodeRows(const std::vector<qint64>& indices) const
{
    const int d = m_encoder->dimensions();
    Eigen::MatrixXd X(Eigen::Index(indices.size()), d + (m_hasPrior ? 1 : 0));
    if (m_encodedAll.rows() > 0) {
        for (size_t i = 0; i < indices.size(); ++i)
            X.row(Eigen::Index(i)).head(d) = m_encodedAll.row(Eigen::Index(indices[i]));
    } else {
        X.leftCols(d) = m_encoder->encode(indices);
    }
    if (m_hasPrior) {
        if (m_priorFeature.size() > 0) {
            for (size_t i = 0; i < indices.size(); ++i)
                X(Eigen::Index(i), d) = m_priorFeature[Eigen::Index(indices[i])];
        } else if (X.rows() > 0) {
            X.col(d) = ((m_priorGp.predictMean(X.leftCols(d)).array() - m_priorLo) / (m_priorHi - m_priorLo)).matrix();
        }
    }
    return X;
}

qint64 BayesianStrategy::nextInitial(const SearchHistory& history, const std::vector<qint64>& batch)
{
    for (qint64 index : m_initialDesign) {
        if (!history.isTaken(index) && std::find(batch.begin(), batch.end(), index) == batch.end())
            return index;
    }
    Rng rng(m_engine());
    return randomUntaken(history, rng, batch);
}

std::vector<qint64> BayesianStrategy::candidates(const SearchHistory& history, const std::vector<qint64>& batch)
{
    auto taken = [&](qint64 i) { return history.isTaken(i) || std::find(batch.begin(), batch.end(), i) != batch.end(); };
    std::vector<qint64> out;
    const qint64 n = m_space.size();
    if (n - history.takenCount() <= m_candidateLimit) {
        for (qint64 i = 0; i < n; ++i)
            if (!taken(i))
                out.push_back(i);
        return out;
    }
    // Large space: the moves from the five best (Neighbourhood::movesFrom), then a uniform sample of the rest.
    out = m_neighbourhood->movesFrom(bestSeen(history, 5), taken);
    Rng rng(m_engine());
    while (int(out.size()) < m_candidateLimit) {
        const qint64 i = qint64(rng.below(quint64(n)));
        if (!taken(i))
            out.push_back(i);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<qint64> BayesianStrategy::localCandidates(const SearchHistory& history,
                                                     const std::vector<qint64>& batch) const
{
    return m_neighbourhood->movesFrom(bestSeen(history, 3), [&](qint64 i) {
        return history.isTaken(i) || std::find(batch.begin(), batch.end(), i) != batch.end();
    });
}

qint64 BayesianStrategy::crossoverChild(const SearchHistory& history, const std::vector<qint64>& batch, Rng& rng) const
{
    auto taken = [&](qint64 i) { return history.isTaken(i) || std::find(batch.begin(), batch.end(), i) != batch.end(); };
    std::vector<Observation> ok;
    for (const Observation& o : history.observations())
        if (o.ok() && std::isfinite(o.objectiveMs))
            ok.push_back(o);
    if (ok.size() < 2)
        return -1;
    std::sort(ok.begin(), ok.end(), [](const Observation& a, const Observation& b) { return a.objectiveMs < b.objectiveMs; });
    ok.resize(std::min<size_t>(ok.size(), 8));
    auto tournament = [&] {
        size_t best = size_t(rng.below(ok.size()));
        for (int i = 0; i < 2; ++i)
            best = std::min(best, size_t(rng.below(ok.size()))); // sorted: a smaller position is fitter
        return best;
    };
    const size_t ia = tournament();
    size_t ib = tournament();
    if (ib == ia)
        ib = (ia + 1 + size_t(rng.below(ok.size() - 1))) % ok.size();
    return Recombination::child(*m_neighbourhood, m_space.valueIndices(ok[ia].index),
                                m_space.valueIndices(ok[ib].index), rng, taken);
}

std::vector<qint64> BayesianStrategy::propose(const SearchHistory& history, int maxCount)
{
    std::vector<qint64> out;
    std::vector<qint64> okIndex;
    std::vector<double> okLog;
    std::vector<qint64> allIndex;
    std::vector<bool> allValid;
    for (const Observation& o : history.observations()) {
        allIndex.push_back(o.index);
        allValid.push_back(o.ok());
        if (o.ok() && o.objectiveMs > 0) {
            okIndex.push_back(o.index);
            okLog.push_back(std::log(o.objectiveMs));
        }
    }
    // Operator statistics, replayed from the history: a success is an evaluation that beat every earlier one.
    std::array<double, 2> successes{{0, 0}}, failures{{0, 0}};
    int stalled = 0;
    {
        double running = std::numeric_limits<double>::infinity();
        for (const Observation& o : history.observations()) {
            const bool improved = o.ok() && o.objectiveMs < running;
            for (const auto& [index, op] : m_operatorOf) {
                if (index == o.index)
                    (improved ? successes : failures)[size_t(op)] += 1;
            }
            if (improved) {
                running = o.objectiveMs;
                stalled = 0;
            } else {
                ++stalled;
            }
        }
    }
    bool hedgeUpdated = false;
    while (int(out.size()) < maxCount && history.takenCount() + qint64(out.size()) < history.spaceSize()) {
        const bool initialPhase = history.count() + int(out.size()) < m_initialSize;
        if (initialPhase || okIndex.size() < 2 || m_encoder->dimensions() == 0) {
            const qint64 pick = nextInitial(history, out);
            if (pick < 0)
                break;
            out.push_back(pick);
            continue;
        }
        // Training data: successes, the batch so far as liars at the best time, and the prior.
        const std::vector<double> okScore = normalScores(okLog);
        const double bestLog = *std::min_element(okScore.begin(), okScore.end());
        std::vector<qint64> rows = okIndex;
        std::vector<double> ys = okScore;
        for (qint64 pending : out) {
            rows.push_back(pending);
            ys.push_back(bestLog);
        }
        const Eigen::MatrixXd X = encodeRows(rows);
        const Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(ys.data(), Eigen::Index(ys.size()));
        GpOptions gpOptions;
        gpOptions.threads = m_threads;
        // With many observations the previous optimum is a good start and random restarts rarely
        // win; they would double the cost of a refit (bench/bench_strategy_proposal).
        gpOptions.restarts = okIndex.size() > 200 ? 0 : m_restarts;
        // Past 200 observations every fit but the first starts from the previous optimum, so a short
        // search each time refines it; this also bounds the cold first fit.
        gpOptions.maxIterations = okIndex.size() > 200 ? 20 : 50;
        gpOptions.lengthScaleGroups = lengthScaleGroups(true);
        // Hyper-parameters are refitted on every proposal while data is scarce, then every third one.
        gpOptions.refitHyper = out.empty() && (okIndex.size() <= 40 || m_fits % 3 == 0);
        bool plainModel = false; // auto mode chose the model without level columns: m_gpPlain
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
                const bool scarce = okIndex.size() <= 200;
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
            const qint64 pick = nextInitial(history, out);
            if (pick < 0)
                break;
            out.push_back(pick);
            continue;
        }
        if (out.empty())
            ++m_fits;

        const std::vector<qint64> cand = candidates(history, out);
        if (cand.empty())
            break;
        const Eigen::MatrixXd Xc = encodeRows(cand);
        Eigen::VectorXd mean, variance;
        const GaussianProcess& model = plainModel ? m_gpPlain : m_gp;
        if (plainModel)
            model.predict(feasibilityColumns(Xc), mean, variance);
        else
            model.predict(Xc, mean, variance);

        Eigen::VectorXd pValid = Eigen::VectorXd::Ones(Xc.rows());
        const bool anyFailure = std::find(allValid.begin(), allValid.end(), false) != allValid.end()
            || m_priorFailX.rows() > 0;
        if (anyFailure && out.empty()) {
            Eigen::MatrixXd Xf = feasibilityColumns(encodeRows(allIndex));
            std::vector<bool> valid = allValid;
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
            fo.refitLengthScales = m_fits % 3 == 2 || allIndex.size() <= 40;
            fo.priorStart = allIndex.size() <= 200; // as the GP's random restarts

            try {
                m_feasibility.fit(Xf, valid, m_engine, fo);
            } catch (const std::exception&) {
            }
        }
        // p(valid) is computed lazily, only for the candidates that can still win: every weighted
        // acquisition is at most its unweighted value (p <= 1), so candidates are visited in order of
        // the unweighted value until it falls below the best weighted one. The choice is the same as
        // weighting every candidate (ties go to the lower index, as with maxCoeff), at a fraction of
        // the cost of the feasibility model over 20,000 candidates (a quarter of a proposal before).
        const bool weighByValidity = anyFailure && m_feasibility.isFitted();
        if (weighByValidity)
            pValid.setConstant(-1.0); // not computed yet
        auto ensureValidity = [&](const std::vector<Eigen::Index>& rows) {
            if (!weighByValidity)
                return;
            std::vector<Eigen::Index> missing;
            for (Eigen::Index r : rows)
                if (pValid[r] < 0)
                    missing.push_back(r);
            if (missing.empty())
                return;
            const Eigen::VectorXd p = m_feasibility.predict(feasibilityColumns(Xc(missing, Eigen::all)));
            for (size_t k = 0; k < missing.size(); ++k)
                pValid[missing[k]] = p[Eigen::Index(k)];
        };

        // GP-Hedge: reward each acquisition by the model's current belief about what it nominated.
        if (!hedgeUpdated) {
            hedgeUpdated = true;
            double scale = 0;
            const double meanY = y.mean();
            for (Eigen::Index i = 0; i < y.size(); ++i)
                scale += (y[i] - meanY) * (y[i] - meanY);
            scale = std::sqrt(scale / std::max<Eigen::Index>(1, y.size() - 1)) + 1e-9;
            for (size_t a = 0; a < m_lastNominees.size(); ++a) {
                if (m_lastNominees[a] < 0)
                    continue;
                Eigen::VectorXd mu, var;
                const Eigen::MatrixXd row = encodeRows({m_lastNominees[a]});
                model.predict(plainModel ? feasibilityColumns(row) : row, mu, var);
                m_gains[a] += -(mu[0] - meanY) / scale;
            }
        }

        const double best = bestLog;
        const Eigen::VectorXd eiRaw = expectedImprovement(mean, variance, best);
        const Eigen::VectorXd piRaw = probabilityOfImprovement(mean, variance, best);
        const Eigen::VectorXd lcbRaw = (best - lowerConfidenceBound(mean, variance, kLcbKappa).array()).matrix();
        // Weighted by p(valid); kind 0: EI, 1: PI, 2: LCB (an improvement over the best scaled by p, a
        // shortfall divided by it).
        const std::array<const Eigen::VectorXd*, 3> raw{{&eiRaw, &piRaw, &lcbRaw}};
        auto weighted = [&](int kind, Eigen::Index i) {
            const double v = (*raw[size_t(kind)])[i];
            const double p = pValid[i];
            if (kind < 2)
                return v * p;
            return v > 0 ? v * p : v / std::max(p, 1e-3);
        };
        auto argmaxWeighted = [&](int kind) {
            const Eigen::VectorXd& r = *raw[size_t(kind)];
            const Eigen::Index n = r.size();
            std::vector<Eigen::Index> order(static_cast<size_t>(n));
            for (Eigen::Index i = 0; i < n; ++i)
                order[size_t(i)] = i;
            auto before = [&](Eigen::Index a, Eigen::Index b) { return r[a] > r[b] || (r[a] == r[b] && a < b); };
            constexpr Eigen::Index kChunk = 256;
            Eigen::Index sorted = 0, bestIndex = -1;
            double bestValue = -std::numeric_limits<double>::infinity();
            for (Eigen::Index pos = 0; pos < n; pos += kChunk) {
                const Eigen::Index end = std::min(n, pos + kChunk);
                if (end > sorted) { // sort lazily: the next stretch in order of the unweighted value
                    const Eigen::Index upto = std::min(n, std::max(end, 4 * sorted));
                    std::partial_sort(order.begin() + sorted, order.begin() + upto, order.end(), before);
                    sorted = upto;
                }
                if (bestIndex >= 0 && r[order[size_t(pos)]] < bestValue)
                    break;
                ensureValidity(std::vector<Eigen::Index>(order.begin() + pos, order.begin() + end));
                for (Eigen::Index k = pos; k < end; ++k) {
                    const Eigen::Index i = order[size_t(k)];
                    const double w = weighted(kind, i);
                    if (w > bestValue || (w == bestValue && i < bestIndex)) {
                        bestValue = w;
                        bestIndex = i;
                    }
                }
            }
            return bestIndex;
        };
        std::array<Eigen::Index, 3> nominee{};
        nominee[2] = argmaxWeighted(2);
        // A flat EI/PI (everything predicted worse than the best with no uncertainty) nominates
        // arbitrarily; defer to the confidence bound then.
        nominee[0] = eiRaw.maxCoeff() > 0 ? argmaxWeighted(0) : nominee[2];
        nominee[1] = piRaw.maxCoeff() > 0 ? argmaxWeighted(1) : nominee[2];

        const double top = *std::max_element(m_gains.begin(), m_gains.end());
        std::array<double, 3> weight{};
        double total = 0;
        for (size_t a = 0; a < 3; ++a)
            total += weight[a] = std::exp(kHedgeEta * (m_gains[a] - top));
        double u = std::uniform_real_distribution<double>(0.0, total)(m_engine);
        size_t arm = 0;
        while (arm < 2 && u > weight[arm]) {
            u -= weight[arm];
            ++arm;
        }
        if (out.empty()) {
            for (size_t a = 0; a < 3; ++a)
                m_lastNominees[a] = cand[size_t(nominee[a])];
        }
        Eigen::Index pick = nominee[arm];
        // Every third model-based proposal (two in three while the incumbent has not improved for
        // kStall evaluations) comes from a model-light operator instead: a stationary GP smooths over sharp
        // interactions (a tile that is fast only with more warps), which these find by working from the
        // best configurations themselves. Local: the best acquisition among the one-parameter changes of
        // the three best. Crossover: uniform crossover of two of the best plus mutation (as the genetic
        // strategy), the first child the feasibility model expects to run. The operator is drawn by Thompson
        // sampling from Beta posteriors of how often each one's proposals improved the incumbent.
        const int step = history.count() + int(out.size()) - m_initialSize;
        if (step % m_operatorPeriod == m_operatorPeriod - 1 || (step % m_operatorPeriod == m_operatorPeriod - 2 && stalled >= kStall)) {
            Rng rng(m_engine());
            std::array<double, 2> draw{};
            for (size_t k = 0; k < 2; ++k)
                draw[k] = betaSample(rng, 1 + successes[k], 1 + failures[k]);
            const int op = draw[1] > draw[0] ? 1 : 0;
            qint64 chosen = -1;
            if (op == 0) {
                const std::vector<qint64> local = localCandidates(history, out);
                Eigen::Index localPick = -1;
                double bestEi = 0, bestLcb = -std::numeric_limits<double>::infinity();
                Eigen::Index lcbPick = -1;
                std::vector<Eigen::Index> rows;
                for (qint64 index : local) {
                    const auto it = std::lower_bound(cand.begin(), cand.end(), index);
                    if (it != cand.end() && *it == index)
                        rows.push_back(it - cand.begin());
                }
                ensureValidity(rows);
                for (const Eigen::Index i : rows) {
                    const double e = weighted(0, i), l = weighted(2, i);
                    if (e > bestEi) {
                        bestEi = e;
                        localPick = i;
                    }
                    if (l > bestLcb) {
                        bestLcb = l;
                        lcbPick = i;
                    }
                }
                if (localPick < 0)
                    localPick = lcbPick;
                if (localPick >= 0)
                    chosen = cand[size_t(localPick)];
            } else {
                std::vector<qint64> children;
                for (int attempt = 0; attempt < 12 && children.size() < 6; ++attempt) {
                    const qint64 c = crossoverChild(history, out, rng);
                    if (c >= 0 && std::find(children.begin(), children.end(), c) == children.end())
                        children.push_back(c);
                }
                if (!children.empty()) {
                    // Children are taken in the order bred, as by the genetic strategy (ranking them by the
                    // model would undo the point of asking something other than the model), skipping any
                    // the feasibility model expects to fail.
                    chosen = children.front();
                    if (anyFailure && m_feasibility.isFitted()) {
                        const Eigen::VectorXd pv = m_feasibility.predict(feasibilityColumns(encodeRows(children)));
                        Eigen::Index c = 0;
                        for (c = 0; c < pv.size() && pv[c] < 0.5; ++c) {
                        }
                        if (c == pv.size())
                            pv.maxCoeff(&c);
                        chosen = children[size_t(c)];
                    }
                }
            }
            if (chosen >= 0) {
                m_operatorOf.emplace_back(chosen, op);
                out.push_back(chosen);
                continue;
            }
        }
        out.push_back(cand[size_t(pick)]);
    }
    return out;
}

} // namespace dv

namespace dv {

namespace {

QJsonArray toJson(const Eigen::VectorXd& v)
{
    QJsonArray a;
    for (Eigen::Index i = 0; i < v.size(); ++i)
        a.append(v[i]);
    return a;
}

bool fromJson(const QJsonValue& value, Eigen::VectorXd& out)
{
    const QJsonArray a = value.toArray();
    out.resize(a.size());
    for (int i = 0; i < a.size(); ++i) {
        if (!a[i].isDouble())
            return false;
        out[i] = a[i].toDouble();
    }
    return out.allFinite();
}

} // namespace

QJsonObject BayesianStrategy::saveState() const
{
    std::ostringstream engine;
    engine << m_engine;
    QJsonArray operators;
    for (const auto& [index, op] : m_operatorOf)
        operators.append(QJsonArray{double(index), op});
    QJsonObject state{
        {QStringLiteral("strategy"), name()},
        {QStringLiteral("space"), m_spaceKey},
        {QStringLiteral("engine"), QString::fromStdString(engine.str())},
        {QStringLiteral("fits"), m_fits},
        {QStringLiteral("hedgeGains"), QJsonArray{m_gains[0], m_gains[1], m_gains[2]}},
        {QStringLiteral("hedgeNominees"), QJsonArray{double(m_lastNominees[0]), double(m_lastNominees[1]),
                                                     double(m_lastNominees[2])}},
        {QStringLiteral("operators"), operators},
        {QStringLiteral("gpHyper"), toJson(m_gp.hyperParameters())},
        {QStringLiteral("gpPlainHyper"), toJson(m_gpPlain.hyperParameters())},
        {QStringLiteral("levelChoice"), m_levelChoice},
    };
    if (m_feasibility.lengthScales().size() > 0) {
        state.insert(QStringLiteral("feasibilityLengthScales"), toJson(m_feasibility.lengthScales()));
        state.insert(QStringLiteral("feasibilityStrength"), m_feasibility.priorStrength());
    }
    return state;
}

bool BayesianStrategy::restoreState(const QJsonObject& state)
{
    if (state.value(QLatin1String("strategy")).toString() != name()
        || state.value(QLatin1String("space")).toString() != m_spaceKey)
        return false;
    std::mt19937_64 engine;
    std::istringstream in(state.value(QLatin1String("engine")).toString().toStdString());
    in >> engine;
    if (in.fail())
        return false;
    const QJsonArray gains = state.value(QLatin1String("hedgeGains")).toArray();
    const QJsonArray nominees = state.value(QLatin1String("hedgeNominees")).toArray();
    if (gains.size() != 3 || nominees.size() != 3)
        return false;
    std::vector<std::pair<qint64, int>> operatorOf;
    for (const QJsonValue& v : state.value(QLatin1String("operators")).toArray()) {
        const QJsonArray pair = v.toArray();
        const qint64 index = qint64(pair.at(0).toDouble(-1));
        const int op = pair.at(1).toInt(-1);
        if (pair.size() != 2 || index < 0 || index >= m_space.size() || op < 0 || op > 1)
            return false;
        operatorOf.emplace_back(index, op);
    }
    Eigen::VectorXd gpHyper, gpPlainHyper, feasibilityScales;
    if (!fromJson(state.value(QLatin1String("gpHyper")), gpHyper))
        return false;
    // States saved before the level columns existed have neither of these.
    if (state.contains(QLatin1String("gpPlainHyper")) && !fromJson(state.value(QLatin1String("gpPlainHyper")), gpPlainHyper))
        return false;
    const int levelChoice = state.value(QLatin1String("levelChoice")).toInt(-1);
    if (levelChoice < -1 || levelChoice > 1)
        return false;
    const bool hasFeasibility = state.contains(QLatin1String("feasibilityLengthScales"));
    const double strength = state.value(QLatin1String("feasibilityStrength")).toDouble(-1);
    if (hasFeasibility
        && (!fromJson(state.value(QLatin1String("feasibilityLengthScales")), feasibilityScales)
            || feasibilityScales.size() == 0 || (feasibilityScales.array() <= 0).any() || !(strength > 0)))
        return false;

    m_engine = engine;
    m_fits = state.value(QLatin1String("fits")).toInt();
    for (int a = 0; a < 3; ++a) {
        m_gains[size_t(a)] = gains[a].toDouble();
        m_lastNominees[size_t(a)] = qint64(nominees[a].toDouble(-1));
    }
    m_operatorOf = std::move(operatorOf);
    m_gp = GaussianProcess();
    m_gp.setHyperParameters(gpHyper);
    m_gpPlain = GaussianProcess();
    m_gpPlain.setHyperParameters(gpPlainHyper);
    m_levelChoice = m_levelsAuto ? levelChoice : -1;
    m_feasibility = FeasibilityModel();
    if (hasFeasibility)
        m_feasibility.setHyperParameters(feasibilityScales, strength);
    return true;
}

} // namespace dv

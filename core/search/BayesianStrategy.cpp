#include "search/BayesianStrategy.h"

#include "base/Rng.h"
#include "search/NormalScores.h"
#include "search/StrategyUtil.h"

#include <QJsonArray>

#include <sstream>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dv {

namespace {

// Informative dimensions + 1, between 4 and 10 (halved with a prior).
int initialSizeFor(int plainDimensions)
{
    return std::clamp(std::max(1, plainDimensions) / 2 + 2, 3, 6);
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

} // namespace

int BayesianStrategy::defaultInitialSize(const ConfigSpace& space)
{
    return initialSizeFor(ConfigEncoder(space, false).plainDimensions());
}

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
    // Kriging believer by default: at 8 slots it kept the within-5% share where constant liars lost
    // 0.1 of it (docs/benchmarks.md, "Many slots").
    m_believer = m_options.value(QLatin1String("pending")).toString() != QLatin1String("liar");
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

    buildInitialDesign(seed, priorBest);

    m_operatorOf.clear();
    m_priorFeature.resize(0);
    m_priorFailX.resize(0, 0);
    if (!priorBest.empty() && m_encoder->dimensions() > 0)
        fitPrior(seed, priorIndex, priorTimes, priorValid);
}

void BayesianStrategy::buildInitialDesign(quint64 seed, const std::vector<std::pair<double, qint64>>& priorBest)
{
    const qint64 n = m_space.size();
    // Initial design: informative dimensions + 1, between 4 and 10; halved with a prior, whose best
    // configurations come first.
    m_initialSize = m_options.contains(QLatin1String("initial"))
        ? std::max(1, m_options.value(QLatin1String("initial")).toInt())
        : initialSizeFor(m_encoder->plainDimensions());
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
}

void BayesianStrategy::fitPrior(quint64 seed, const std::vector<qint64>& priorIndex,
                                const std::vector<double>& priorTimes, const std::vector<bool>& priorValid)
{
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

std::vector<qint64> BayesianStrategy::propose(const SearchHistory& history, int maxCount)
{
    const HistorySummary summary = summarise(history);
    std::vector<qint64> out;
    bool hedgeUpdated = false;
    // Configurations other device slots are measuring count as proposed: the initial design
    // does not grow by them and the model sees them as liars, so that no two slots chase one spot.
    const std::vector<qint64>& elsewhere = history.pending();
    while (int(out.size()) < maxCount && history.takenCount() + qint64(out.size()) < history.spaceSize()) {
        // The initial design while it lasts, and whenever there is no model to ask (too few successes,
        // nothing to encode, a fit that failed).
        const bool initialPhase = history.count() + int(elsewhere.size() + out.size()) < m_initialSize;
        std::vector<qint64> liars = elsewhere;
        liars.insert(liars.end(), out.begin(), out.end());
        SurrogateFit fit;
        if (initialPhase || summary.okIndex.size() < 2 || m_encoder->dimensions() == 0
            || !fitSurrogate(summary, liars, out.empty(), fit)) {
            const qint64 pick = nextInitial(history, out);
            if (pick < 0)
                break;
            out.push_back(pick);
            continue;
        }
        std::vector<qint64> cand = candidates(history, out);
        if (cand.empty())
            break;
        AcquisitionScores scores = scoreCandidates(std::move(cand), summary, fit, out.empty());
        const Eigen::Index pick = hedgePick(scores, fit, hedgeUpdated, out.empty());
        const qint64 fromOperator = operatorProposal(history, out, summary, scores);
        out.push_back(fromOperator >= 0 ? fromOperator : scores.candidates()[size_t(pick)]);
    }
    return out;
}


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

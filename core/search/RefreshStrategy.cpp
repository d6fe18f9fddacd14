#include "search/RefreshStrategy.h"

#include <QHash>
#include <QJsonArray>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dv {

QString RefreshStrategy::modeName(RefreshVerdict::Mode mode)
{
    switch (mode) {
    case RefreshVerdict::Mode::Transfer: return QStringLiteral("transfer");
    case RefreshVerdict::Mode::Cold: return QStringLiteral("cold");
    case RefreshVerdict::Mode::Seeds: break;
    }
    return QStringLiteral("seeds");
}

RefreshStrategy::RefreshStrategy(const QJsonObject& options)
    : m_options(options)
{
}

void RefreshStrategy::initialize(const ConfigSpace& space, quint64 seed)
{
    m_space = space;
    m_seed = seed;
    m_patience = std::max(0, m_options.value(QLatin1String("patience")).toInt(kDefaultPatience));
    m_coldPatience = std::max(0, m_options.value(QLatin1String("coldPatience")).toInt(0));
    m_tolerance = std::max(0.0, m_options.value(QLatin1String("tolerance")).toDouble(kDefaultTolerance));
    m_agreement = std::max(1.0, m_options.value(QLatin1String("agreement")).toDouble(kDefaultAgreement));
    // A's time at this key for each configuration it measured here (the prior).
    QHash<qint64, double> priorMs;
    QSet<qint64> priorFailed;
    for (const QJsonValue& v : m_options.value(QLatin1String("prior")).toArray()) {
        const QJsonObject o = v.toObject();
        const qint64 index = space.indexOf(o.value(QLatin1String("config")).toObject());
        if (index < 0)
            continue;
        const QJsonValue objective = o.value(QLatin1String("objective"));
        if (objective.isDouble() && objective.toDouble() > 0 && std::isfinite(objective.toDouble()))
            priorMs.insert(index, objective.toDouble());
        else
            priorFailed.insert(index);
    }
    m_seeds.clear();
    m_seedPriorMs.clear();
    m_seedPriorFailed.clear();
    for (const QJsonValue& v : m_options.value(QLatin1String("seeds")).toArray()) {
        const qint64 index = space.indexOf(v.toObject());
        if (index < 0 || std::find(m_seeds.begin(), m_seeds.end(), index) != m_seeds.end())
            continue; // not in B's space (another limit, a narrowing), or given twice
        m_seeds.push_back(index);
        m_seedPriorMs.push_back(priorMs.value(index, 0.0));
        m_seedPriorFailed.push_back(priorFailed.contains(index) && !priorMs.contains(index));
    }
    m_inner.reset();
    m_innerMode = RefreshVerdict::Mode::Seeds;
}

RefreshVerdict RefreshStrategy::decide(const SearchHistory& history) const
{
    RefreshVerdict v;
    if (m_seeds.empty()) {
        v.mode = RefreshVerdict::Mode::Cold;
        v.why = QStringLiteral("none of A's configurations is in this space");
        return v;
    }
    QHash<qint64, Observation> seen;
    for (const Observation& o : history.observations())
        seen.insert(o.index, o);
    // Seed by seed, so that a disagreement ends the seeds at once: a misleading A costs only the
    // evaluations that showed it.
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    int compared = 0;
    bool allMeasured = true;
    for (size_t i = 0; i < m_seeds.size(); ++i) {
        const auto it = seen.constFind(m_seeds[i]);
        if (it == seen.constEnd()) {
            allMeasured = false;
            continue;
        }
        if (m_seedPriorMs[i] <= 0)
            continue; // a neighbour's best or a failure on A: no time of A's to compare with
        if (!it->ok()) {
            v.mode = RefreshVerdict::Mode::Cold;
            v.why = i == 0 ? QStringLiteral("A's best configuration fails here")
                           : QStringLiteral("A's configuration %1 (seed %2) fails here").arg(m_space.key(m_seeds[i])).arg(i + 1);
            return v;
        }
        const double ratio = it->objectiveMs / m_seedPriorMs[i];
        lo = std::min(lo, ratio);
        hi = std::max(hi, ratio);
        ++compared;
        if (compared >= 2 && hi / lo > m_agreement)
            break;
    }
    v.spread = compared >= 2 ? hi / lo : 0;
    const bool disagree = compared >= 2 && v.spread > m_agreement;
    if (!disagree && !allMeasured)
        return RefreshVerdict{};
    if (compared < 2) {
        v.mode = RefreshVerdict::Mode::Transfer;
        v.why = QStringLiteral("fewer than two of A's timed configurations to compare: A trusted");
        return v;
    }
    v.mode = disagree ? RefreshVerdict::Mode::Cold : RefreshVerdict::Mode::Transfer;
    v.why = QStringLiteral("time here / time on A varies by %1x over %2 of A's best configurations (%3 %4x)")
                .arg(v.spread, 0, 'f', 2).arg(compared).arg(disagree ? QStringLiteral("over") : QStringLiteral("within"))
                .arg(m_agreement, 0, 'f', 2);
    return v;
}

bool RefreshStrategy::patienceHolds(const SearchHistory& history, int patience) const
{
    if (patience <= 0)
        return false;
    const std::vector<Observation>& obs = history.observations();
    // The position after which every seed is measured: the patience counts from there.
    int seedsEnd = 0;
    for (int pos = 0; pos < int(obs.size()); ++pos) {
        if (std::find(m_seeds.begin(), m_seeds.end(), obs[size_t(pos)].index) != m_seeds.end())
            seedsEnd = pos + 1;
    }
    double best = std::numeric_limits<double>::infinity();
    int lastGain = seedsEnd;
    for (int pos = 0; pos < int(obs.size()); ++pos) {
        const Observation& o = obs[size_t(pos)];
        if (!o.ok())
            continue;
        // Past the seeds, only a gain of more than the tolerance restarts the count.
        if (pos >= seedsEnd && o.objectiveMs < best * (1.0 - m_tolerance))
            lastGain = pos + 1;
        best = std::min(best, o.objectiveMs);
    }
    return int(obs.size()) - lastGain >= patience;
}

RefreshVerdict RefreshStrategy::verdict(const SearchHistory& history) const
{
    RefreshVerdict v = decide(history);
    if (v.mode != RefreshVerdict::Mode::Seeds)
        v.confirmed = patienceHolds(history, v.mode == RefreshVerdict::Mode::Transfer ? m_patience : m_coldPatience);
    return v;
}

bool RefreshStrategy::hidesSeeds() const
{
    return m_options.value(QLatin1String("coldSeeds")).toString() != QLatin1String("observed");
}

void RefreshStrategy::createInner(RefreshVerdict::Mode mode)
{
    QJsonObject options = m_options.value(QLatin1String("bayes")).toObject();
    options.remove(QStringLiteral("prior"));
    if (mode == RefreshVerdict::Mode::Transfer && m_options.contains(QLatin1String("prior")))
        options.insert(QStringLiteral("prior"), m_options.value(QLatin1String("prior")));
    // Cold with the seeds observed ("coldSeeds": "observed"): the whole space-filling design of a
    // cold search after the seeds (which sit where A was fast, all in one corner of B's landscape).
    if (mode == RefreshVerdict::Mode::Cold && !options.contains(QLatin1String("initial")) && !hidesSeeds())
        options.insert(QStringLiteral("initial"), int(m_seeds.size()) + BayesianStrategy::defaultInitialSize(m_space));
    m_inner = std::make_unique<BayesianStrategy>(options);
    m_inner->initialize(m_space, m_seed);
    m_innerMode = mode;
}

std::vector<qint64> RefreshStrategy::propose(const SearchHistory& history, int maxCount)
{
    std::vector<qint64> out;
    const RefreshVerdict v = verdict(history);
    // A cross-check measures the seeds and nothing else, whatever they show.
    const bool crossCheck = m_options.value(QLatin1String("crossCheck")).toBool(false);
    if (v.mode == RefreshVerdict::Mode::Seeds || crossCheck) {
        // The seeds first (a batch holds only seeds, so that they are measured before the
        // agreement check).
        for (qint64 s : m_seeds) {
            if (int(out.size()) >= maxCount)
                break;
            if (!history.isTaken(s))
                out.push_back(s);
        }
        return out;
    }
    if (v.confirmed)
        return out;
    if (!m_inner || m_innerMode != v.mode)
        createInner(v.mode);
    if (v.mode != RefreshVerdict::Mode::Cold || !hidesSeeds())
        return m_inner->propose(history, maxCount);
    // The cold search does not see the seeds: they are taken (never proposed again) but not
    // observations, so it runs as a cold bayes search would on B.
    SearchHistory cold(history.spaceSize());
    for (const Observation& o : history.observations()) {
        if (std::find(m_seeds.begin(), m_seeds.end(), o.index) != m_seeds.end())
            cold.markExcluded(o.index);
        else
            cold.add(o);
    }
    return m_inner->propose(cold, maxCount);
}

QJsonObject RefreshStrategy::saveState() const
{
    QJsonObject state{{QStringLiteral("strategy"), name()}, {QStringLiteral("mode"), modeName(m_innerMode)},
                      {QStringLiteral("space"), QString(m_space.name() + QLatin1Char('/') + QString::number(m_space.size()))}};
    if (m_inner)
        state.insert(QStringLiteral("inner"), m_inner->saveState());
    return state;
}

bool RefreshStrategy::restoreState(const QJsonObject& state)
{
    if (state.value(QLatin1String("strategy")).toString() != name()
        || state.value(QLatin1String("space")).toString() != QString(m_space.name() + QLatin1Char('/') + QString::number(m_space.size())))
        return false;
    const QString mode = state.value(QLatin1String("mode")).toString();
    if (mode == modeName(RefreshVerdict::Mode::Seeds))
        return true;
    if (mode != modeName(RefreshVerdict::Mode::Transfer) && mode != modeName(RefreshVerdict::Mode::Cold))
        return false;
    createInner(mode == modeName(RefreshVerdict::Mode::Transfer) ? RefreshVerdict::Mode::Transfer : RefreshVerdict::Mode::Cold);
    if (!m_inner->restoreState(state.value(QLatin1String("inner")).toObject())) {
        m_inner.reset();
        m_innerMode = RefreshVerdict::Mode::Seeds;
        return false;
    }
    return true;
}

} // namespace dv

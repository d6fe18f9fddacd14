#include "analysis/PortableConfig.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace dv {

namespace {

QStringList sortedParameterNames(const ConfigSpace& space)
{
    QStringList names;
    for (const Parameter& p : space.parameters())
        names.append(p.name);
    names.sort();
    return names;
}

bool minimaxBefore(const PortableCandidate& a, const PortableCandidate& b)
{
    if (a.worst != b.worst)
        return a.worst < b.worst;
    if (a.geomean != b.geomean)
        return a.geomean < b.geomean;
    return a.key < b.key;
}

bool geomeanBefore(const PortableCandidate& a, const PortableCandidate& b)
{
    if (a.geomean != b.geomean)
        return a.geomean < b.geomean;
    if (a.worst != b.worst)
        return a.worst < b.worst;
    return a.key < b.key;
}

} // namespace

Result<PortableConfig> PortableConfig::compute(const std::vector<Landscape>& landscapes)
{
    if (landscapes.size() < 2)
        return Error{QStringLiteral("the most portable configuration needs at least two landscapes of the same space")};
    const QStringList params = sortedParameterNames(landscapes.front().space);
    for (const Landscape& l : landscapes) {
        if (sortedParameterNames(l.space) != params)
            return Error{QStringLiteral("'%1' and '%2' have different parameters: not the same kernel space")
                             .arg(landscapes.front().name, l.name)};
        if (l.bestIndex() < 0)
            return Error{QStringLiteral("'%1' has no configuration that ran").arg(l.name)};
    }
    PortableConfig p;
    const size_t n = landscapes.size();
    std::vector<QHash<QString, qint64>> index(n);
    // The union of the keys, in the order first seen, with the configuration each stands for.
    QHash<QString, int> seen;
    QStringList keys;
    std::vector<QJsonObject> configs;
    for (size_t g = 0; g < n; ++g) {
        const Landscape& l = landscapes[g];
        p.m_names.append(l.name);
        p.m_bestMs.push_back(l.bestMs());
        index[g].reserve(int(l.size()));
        for (qint64 i = 0; i < l.size(); ++i) {
            const QString key = l.space.key(i);
            index[g].insert(key, i);
            if (!seen.contains(key)) {
                seen.insert(key, int(keys.size()));
                keys.append(key);
                configs.push_back(l.space.config(i));
            }
        }
    }
    p.m_candidates = int(keys.size());
    p.m_failedOn.assign(n, 0);
    p.m_unknownOn.assign(n, 0);
    for (int k = 0; k < keys.size(); ++k) {
        PortableCandidate c;
        bool failed = false, unknown = false;
        double logSum = 0;
        for (size_t g = 0; g < n; ++g) {
            const Landscape& l = landscapes[g];
            const qint64 i = index[g].value(keys[k], -1);
            if (i < 0 || !l.isMeasured(i)) {
                unknown = true;
                ++p.m_unknownOn[g];
                continue;
            }
            if (!l.isOk(i)) {
                failed = true;
                ++p.m_failedOn[g];
                continue;
            }
            const double s = l.objectiveMs[size_t(i)] / p.m_bestMs[g];
            c.slowdown.push_back(s);
            logSum += std::log(s);
            if (c.worstGpu < 0 || s > c.worst) {
                c.worst = s;
                c.worstGpu = int(g);
            }
        }
        if (failed) {
            ++p.m_excludedFailed;
            continue;
        }
        if (unknown) {
            ++p.m_excludedUnknown;
            continue;
        }
        c.key = keys[k];
        c.config = configs[size_t(k)];
        c.geomean = std::exp(logSum / double(n));
        p.m_qualified.push_back(std::move(c));
    }
    if (p.m_qualified.empty())
        return Error{QStringLiteral("no configuration ran ok on all %1 GPUs (%2): of %3 configurations %4 failed on some GPU and %5 "
                                    "were not measured on some GPU")
                         .arg(n)
                         .arg(p.m_names.join(QStringLiteral(", ")))
                         .arg(p.m_candidates)
                         .arg(p.m_excludedFailed)
                         .arg(p.m_excludedUnknown)};
    std::sort(p.m_qualified.begin(), p.m_qualified.end(), minimaxBefore);
    p.m_minimax = 0;
    p.m_geomean = 0;
    for (size_t i = 1; i < p.m_qualified.size(); ++i)
        if (geomeanBefore(p.m_qualified[i], p.m_qualified[size_t(p.m_geomean)]))
            p.m_geomean = int(i);
    return p;
}

QString PortableConfig::exclusionText() const
{
    QStringList failed, unknown;
    for (int g = 0; g < m_names.size(); ++g) {
        if (m_failedOn[size_t(g)] > 0)
            failed.append(QStringLiteral("%1 on %2").arg(m_failedOn[size_t(g)]).arg(m_names[g]));
        if (m_unknownOn[size_t(g)] > 0)
            unknown.append(QStringLiteral("%1 on %2").arg(m_unknownOn[size_t(g)]).arg(m_names[g]));
    }
    QString text = QStringLiteral("%1 of %2 configurations ran ok on every GPU").arg(qualified()).arg(m_candidates);
    if (m_excludedFailed > 0)
        text += QStringLiteral("; %1 excluded as failed somewhere (failures: %2)").arg(m_excludedFailed).arg(failed.join(QStringLiteral(", ")));
    if (m_excludedUnknown > 0)
        text += QStringLiteral("; %1 excluded as not measured on some GPU, unknown rather than good (missing: %2)")
                    .arg(m_excludedUnknown)
                    .arg(unknown.join(QStringLiteral(", ")));
    return text;
}

} // namespace dv

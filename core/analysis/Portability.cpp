#include "analysis/Portability.h"

#include <QHash>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace dv {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QStringList parameterNames(const ConfigSpace& space)
{
    QStringList names;
    for (const Parameter& p : space.parameters())
        names.append(p.name);
    names.sort();
    return names;
}

QHash<QString, qint64> indexByKey(const Landscape& l)
{
    QHash<QString, qint64> out;
    out.reserve(int(l.size()));
    for (qint64 i = 0; i < l.size(); ++i)
        out.insert(l.space.key(i), i);
    return out;
}

std::vector<double> averageRanks(const std::vector<double>& v)
{
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> rank(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
            ++j;
        const double avg = (double(i) + double(j)) / 2.0 + 1.0; // ranks are 1-based
        for (size_t k = i; k <= j; ++k)
            rank[order[k]] = avg;
        i = j + 1;
    }
    return rank;
}

} // namespace

Result<Portability> Portability::compute(const std::vector<Landscape>& landscapes)
{
    if (landscapes.size() < 2)
        return Error{QStringLiteral("portability needs at least two landscapes of the same space")};
    const QStringList params = parameterNames(landscapes.front().space);
    for (const Landscape& l : landscapes) {
        if (parameterNames(l.space) != params)
            return Error{QStringLiteral("'%1' and '%2' have different parameters (%3 vs %4): not the same kernel space")
                             .arg(landscapes.front().name, l.name, params.join(QLatin1Char(',')),
                                  parameterNames(l.space).join(QLatin1Char(',')))};
        if (l.bestIndex() < 0)
            return Error{QStringLiteral("'%1' has no configuration that ran").arg(l.name)};
    }
    Portability p;
    const size_t n = landscapes.size();
    std::vector<QHash<QString, qint64>> index;
    for (const Landscape& l : landscapes) {
        p.m_names.append(l.name);
        p.m_bestKeys.push_back(l.space.key(l.bestIndex()));
        p.m_bestMs.push_back(l.bestMs());
        index.push_back(indexByKey(l));
    }
    p.m_slowdown.assign(n * n, kNaN);
    p.m_status.assign(n * n, Status::Invalid);
    p.m_unmeasured.assign(n * n, false);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
            const Landscape& lj = landscapes[j];
            const qint64 k = index[j].value(p.m_bestKeys[i], -1);
            if (k < 0 || !lj.isMeasured(k)) {
                // Stays Invalid: GPU j's dataset lacks the configuration, or its session never
                // measured it (said apart, so that a view does not call it "not in dataset").
                p.m_unmeasured[i * n + j] = lj.isPartial();
                continue;
            }
            p.m_status[i * n + j] = lj.status[size_t(k)];
            if (lj.isOk(k))
                p.m_slowdown[i * n + j] = lj.objectiveMs[size_t(k)] / p.m_bestMs[j];
        }
    }
    return p;
}

RankCorrelation Portability::spearman(const Landscape& a, const Landscape& b)
{
    const QHash<QString, qint64> inB = indexByKey(b);
    std::vector<double> x, y;
    for (qint64 i = 0; i < a.size(); ++i) {
        if (!a.isOk(i))
            continue;
        const qint64 k = inB.value(a.space.key(i), -1);
        if (k >= 0 && b.isOk(k)) {
            x.push_back(a.objectiveMs[size_t(i)]);
            y.push_back(b.objectiveMs[size_t(k)]);
        }
    }
    return spearman(x, y);
}

RankCorrelation Portability::spearman(const std::vector<double>& x, const std::vector<double>& y)
{
    RankCorrelation r;
    r.count = int(std::min(x.size(), y.size()));
    r.rho = kNaN;
    if (r.count < 2 || x.size() != y.size())
        return r;
    const std::vector<double> rx = averageRanks(x), ry = averageRanks(y);
    const double mean = (double(r.count) + 1.0) / 2.0; // the mean of ranks 1..n, ties included
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < rx.size(); ++i) {
        sxy += (rx[i] - mean) * (ry[i] - mean);
        sxx += (rx[i] - mean) * (rx[i] - mean);
        syy += (ry[i] - mean) * (ry[i] - mean);
    }
    if (sxx > 0 && syy > 0)
        r.rho = sxy / std::sqrt(sxx * syy);
    return r;
}

} // namespace dv

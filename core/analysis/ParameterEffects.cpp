#include "analysis/ParameterEffects.h"

#include "base/Statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace dv {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

QVector<ParameterEffect> ParameterEffects::compute(const ConfigSpace& space, const std::vector<Sample>& samples)
{
    const int d = space.dimensions();
    // times[p][v]: ok times of value v of parameter p; measured[p][v]: all measurements.
    std::vector<std::vector<std::vector<double>>> times(static_cast<size_t>(d));
    std::vector<std::vector<int>> measured(static_cast<size_t>(d));
    for (int p = 0; p < d; ++p) {
        times[size_t(p)].resize(size_t(space.parameters()[p].values.size()));
        measured[size_t(p)].assign(size_t(space.parameters()[p].values.size()), 0);
    }
    double sumLog = 0;
    int okCount = 0;
    for (const Sample& s : samples) {
        if (s.spaceIndex < 0 || s.spaceIndex >= space.size())
            continue;
        const std::vector<int> v = space.valueIndices(s.spaceIndex);
        const bool ok = s.status == Status::Ok && std::isfinite(s.objectiveMs) && s.objectiveMs > 0;
        for (int p = 0; p < d; ++p) {
            ++measured[size_t(p)][size_t(v[size_t(p)])];
            if (ok)
                times[size_t(p)][size_t(v[size_t(p)])].push_back(s.objectiveMs);
        }
        if (ok) {
            sumLog += std::log(s.objectiveMs);
            ++okCount;
        }
    }
    const double grandMean = okCount ? sumLog / okCount : 0;
    double totalSs = 0;
    for (const Sample& s : samples) {
        if (s.spaceIndex >= 0 && s.spaceIndex < space.size() && s.status == Status::Ok
            && std::isfinite(s.objectiveMs) && s.objectiveMs > 0) {
            const double dev = std::log(s.objectiveMs) - grandMean;
            totalSs += dev * dev;
        }
    }

    QVector<ParameterEffect> out;
    for (int p = 0; p < d; ++p) {
        ParameterEffect e;
        e.parameter = p;
        e.name = space.parameters()[p].name;
        double betweenSs = 0;
        for (int v = 0; v < space.parameters()[p].values.size(); ++v) {
            std::vector<double>& t = times[size_t(p)][size_t(v)];
            std::sort(t.begin(), t.end());
            ValueEffect ve;
            ve.value = space.parameters()[p].values[v];
            ve.measured = measured[size_t(p)][size_t(v)];
            ve.ok = int(t.size());
            ve.minMs = t.empty() ? kNaN : t.front();
            ve.q1Ms = quantileOfSorted(t, 0.25);
            ve.medianMs = quantileOfSorted(t, 0.5);
            ve.q3Ms = quantileOfSorted(t, 0.75);
            ve.p80Ms = quantileOfSorted(t, 0.8);
            ve.maxMs = t.empty() ? kNaN : t.back();
            ve.okMs = QVector<double>(t.begin(), t.end());
            if (!t.empty()) {
                double mean = 0;
                for (double x : t)
                    mean += std::log(x);
                mean /= double(t.size());
                betweenSs += double(t.size()) * (mean - grandMean) * (mean - grandMean);
            }
            e.values.append(ve);
        }
        e.importance = totalSs > 0 ? betweenSs / totalSs : 0;
        out.append(e);
    }
    return out;
}

QVector<ParameterEffect> ParameterEffects::fromLandscape(const Landscape& landscape)
{
    std::vector<Sample> samples;
    samples.reserve(size_t(landscape.size()));
    for (qint64 i = 0; i < landscape.size(); ++i)
        samples.push_back({i, landscape.status[size_t(i)], landscape.objectiveMs[size_t(i)]});
    return compute(landscape.space, samples);
}

QVector<ParameterEffect> ParameterEffects::fromTrials(const ConfigSpace& space, const QVector<Trial>& trials)
{
    std::vector<Sample> samples;
    samples.reserve(size_t(trials.size()));
    for (const Trial& t : trials) {
        qint64 index = t.spaceIndex;
        if (index < 0 || index >= space.size() || space.key(index) != t.configKey)
            index = space.indexOf(t.config);
        samples.push_back({index, t.measurement.isOk() ? Status::Ok : t.measurement.status,
                           t.measurement.objectiveMs});
    }
    return compute(space, samples);
}

QVector<int> ParameterEffects::ranking(const QVector<ParameterEffect>& effects)
{
    QVector<int> order(effects.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return effects[a].importance > effects[b].importance; });
    return order;
}

} // namespace dv

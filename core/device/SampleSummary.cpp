#include "device/SampleSummary.h"

#include "base/Statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace dv {

SampleSummary SampleSummary::of(const QVector<double>& samplesMs)
{
    std::vector<double> sorted;
    sorted.reserve(size_t(samplesMs.size()));
    for (double x : samplesMs)
        if (std::isfinite(x))
            sorted.push_back(x);
    std::sort(sorted.begin(), sorted.end());
    SampleSummary s;
    s.count = int(sorted.size());
    s.minMs = quantileOfSorted(sorted, 0.0);
    s.p20Ms = quantileOfSorted(sorted, 0.2);
    s.medianMs = quantileOfSorted(sorted, 0.5);
    s.p80Ms = quantileOfSorted(sorted, 0.8);
    s.maxMs = quantileOfSorted(sorted, 1.0);
    s.meanMs = sorted.empty() ? std::numeric_limits<double>::quiet_NaN()
                              : std::accumulate(sorted.begin(), sorted.end(), 0.0) / double(sorted.size());
    s.relativeSpread = s.count > 0 && s.medianMs != 0 ? (s.p80Ms - s.p20Ms) / s.medianMs
                                                       : std::numeric_limits<double>::quiet_NaN();
    return s;
}

SampleSummary::Statistic SampleSummary::statisticOf(double objectiveMs) const
{
    const auto same = [objectiveMs](double v) {
        return std::isfinite(v) && std::abs(v - objectiveMs) <= 1e-9 * std::max(std::abs(v), std::abs(objectiveMs));
    };
    if (count == 0 || !std::isfinite(objectiveMs))
        return Statistic::Other;
    if (count == 1)
        return same(medianMs) ? Statistic::Single : Statistic::Other;
    if (same(medianMs))
        return Statistic::Median;
    return same(meanMs) ? Statistic::Mean : Statistic::Other;
}

} // namespace dv

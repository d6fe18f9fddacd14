#pragma once

#include <QVector>

namespace dv {

/// The spread of one measurement's timing samples, as the trial detail shows it. Quantiles
/// interpolate linearly between order statistics (dv::quantileOfSorted, numpy's default).
struct SampleSummary {
    /// Which statistic of the samples a measurement's objective (what the search ranks by) is.
    enum class Statistic {
        Single, ///< there is one sample and the objective is it
        Median, ///< the median (a GPU worker's objective_ms, by protocol)
        Mean,   ///< the mean (a Kernel Tuner cache's recorded "time")
        Other,  ///< neither (no samples, or the device timed more runs than it sent back)
    };

    int count = 0;
    double minMs;    ///< all NaN when count == 0
    double p20Ms;
    double medianMs;
    double p80Ms;
    double maxMs;
    double meanMs;
    /// (p80 - p20) / median: how noisy the samples are; NaN when count == 0 or the median is 0.
    double relativeSpread;

    /// Non-finite samples are ignored.
    static SampleSummary of(const QVector<double>& samplesMs);
    /// The statistic `objectiveMs` equals (to 1e-9 relative: values go through JSON and SQLite);
    /// the median when it equals both.
    Statistic statisticOf(double objectiveMs) const;
};

} // namespace dv

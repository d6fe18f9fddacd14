#pragma once

#include <QVector>

namespace dv {

/// The spread of one measurement's timing samples, as the trial detail shows it. Quantiles
/// interpolate linearly between order statistics (ParameterEffects::quantile, numpy's default).
struct SampleSummary {
    int count = 0;
    double minMs;    ///< all NaN when count == 0
    double p20Ms;
    double medianMs;
    double p80Ms;
    double maxMs;
    /// (p80 - p20) / median: how noisy the samples are; NaN when count == 0 or the median is 0.
    double relativeSpread;

    /// Non-finite samples are ignored.
    static SampleSummary of(const QVector<double>& samplesMs);
};

} // namespace dv

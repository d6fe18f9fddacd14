#pragma once

#include <QVector>

#include <vector>

namespace dv {

/// The `q`-quantile (q clamped to 0..1) of an ascending-sorted range of `n` values, interpolating
/// linearly between order statistics (numpy's default); NaN when the range is empty. The one
/// implementation behind every median, quartile and p20/p80 the tool prints or exports.
double quantileOfSorted(const double* sorted, std::size_t n, double q);

inline double quantileOfSorted(const std::vector<double>& sorted, double q)
{
    return quantileOfSorted(sorted.data(), sorted.size(), q);
}

/// The `q`-quantile of samples in any order (sorts a copy).
double quantile(QVector<double> samples, double q);

} // namespace dv

#include "base/Statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dv {

double quantileOfSorted(const double* sorted, std::size_t n, double q)
{
    if (n == 0)
        return std::numeric_limits<double>::quiet_NaN();
    const double pos = std::clamp(q, 0.0, 1.0) * double(n - 1);
    const auto lo = std::size_t(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, n - 1);
    return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

double quantile(QVector<double> samples, double q)
{
    std::sort(samples.begin(), samples.end());
    return quantileOfSorted(samples.constData(), std::size_t(samples.size()), q);
}

} // namespace dv

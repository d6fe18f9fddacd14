#pragma once

#include <vector>

namespace dv {

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
double normalQuantile(double p);

/// Gaussian copula of the targets: each value becomes the normal quantile of its rank ((r + 0.5) / n, ties
/// sharing their mean rank). Run times span orders of magnitude and the slow tail would otherwise dominate the
/// GP's signal variance and length scales, leaving no resolution among the fast configurations that matter.
std::vector<double> normalScores(const std::vector<double>& v);

} // namespace dv

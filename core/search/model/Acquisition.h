#pragma once

#include <Eigen/Dense>

namespace dv {

// Acquisition functions for minimisation. They take the posterior mean and *variance* (as returned
// by GaussianProcess::predict) and the best (lowest) observed value; larger acquisition values are
// better, except for lowerConfidenceBound, which is minimised like the objective itself.

/// Expected improvement E[max(best - xi - f, 0)] for f ~ N(mean, sigma^2), with the exact limit
/// max(best - xi - mean, 0) as sigma -> 0.
double expectedImprovement(double mean, double sigma, double best, double xi = 0.0);

/// Vectorised expected improvement over mean/variance vectors of equal size.
Eigen::VectorXd expectedImprovement(const Eigen::VectorXd& mean, const Eigen::VectorXd& variance,
                                    double best, double xi = 0.0);

/// Probability of improvement P(f < best - xi); a step function as sigma -> 0.
double probabilityOfImprovement(double mean, double sigma, double best, double xi = 0.0);

/// Vectorised probability of improvement.
Eigen::VectorXd probabilityOfImprovement(const Eigen::VectorXd& mean,
                                         const Eigen::VectorXd& variance, double best,
                                         double xi = 0.0);

/// Lower confidence bound mean - kappa * sigma (smaller is more promising).
Eigen::VectorXd lowerConfidenceBound(const Eigen::VectorXd& mean, const Eigen::VectorXd& variance,
                                     double kappa = 2.0);

/// Standard normal density and cumulative distribution (the latter accurate in the far lower tail).
double normalPdf(double z);
double normalCdf(double z);

} // namespace dv

#include "search/model/Acquisition.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dv {

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

void checkSizes(const Eigen::VectorXd& mean, const Eigen::VectorXd& variance) {
    if (mean.size() != variance.size())
        throw std::invalid_argument("acquisition: mean and variance sizes differ");
}

double sigmaOf(double variance) {
    return std::sqrt(std::max(variance, 0.0));
}

} // namespace

double normalPdf(double z) {
    return kInvSqrt2Pi * std::exp(-0.5 * z * z);
}

// erfc keeps full relative precision in the lower tail, where 1 + erf would cancel to zero.
double normalCdf(double z) {
    return 0.5 * std::erfc(-z * kInvSqrt2);
}

double expectedImprovement(double mean, double sigma, double best, double xi) {
    const double improvement = best - xi - mean;
    // A vanishing sigma (or one so small that z overflows) is a point mass.
    if (!(sigma > 0.0) || !std::isfinite(improvement / sigma))
        return std::max(improvement, 0.0);
    const double z = improvement / sigma;
    // sigma * (z Phi(z) + phi(z)). For very negative z the two terms nearly cancel (about
    // log10(z^2) digits are lost, harmless before phi underflows); the clamp keeps the sign.
    return std::max(sigma * (z * normalCdf(z) + normalPdf(z)), 0.0);
}

Eigen::VectorXd expectedImprovement(const Eigen::VectorXd& mean, const Eigen::VectorXd& variance,
                                    double best, double xi) {
    checkSizes(mean, variance);
    Eigen::VectorXd ei(mean.size());
    for (Eigen::Index i = 0; i < mean.size(); ++i)
        ei[i] = expectedImprovement(mean[i], sigmaOf(variance[i]), best, xi);
    return ei;
}

double probabilityOfImprovement(double mean, double sigma, double best, double xi) {
    const double improvement = best - xi - mean;
    if (!(sigma > 0.0) || !std::isfinite(improvement / sigma))
        return improvement > 0.0 ? 1.0 : 0.0;
    return normalCdf(improvement / sigma);
}

Eigen::VectorXd probabilityOfImprovement(const Eigen::VectorXd& mean,
                                         const Eigen::VectorXd& variance, double best, double xi) {
    checkSizes(mean, variance);
    Eigen::VectorXd pi(mean.size());
    for (Eigen::Index i = 0; i < mean.size(); ++i)
        pi[i] = probabilityOfImprovement(mean[i], sigmaOf(variance[i]), best, xi);
    return pi;
}

Eigen::VectorXd lowerConfidenceBound(const Eigen::VectorXd& mean, const Eigen::VectorXd& variance,
                                     double kappa) {
    checkSizes(mean, variance);
    return (mean.array() - kappa * variance.array().max(0.0).sqrt()).matrix();
}

} // namespace dv

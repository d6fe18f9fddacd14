#pragma once

#include <Eigen/Dense>

#include <functional>

namespace dv {

/// Objective for minimizeInBox: returns f(x) and writes df/dx into grad.
using BoxObjective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)>;

/// Minimises f over the box [lower, upper] by projected L-BFGS, starting from x (clamped into the
/// box) and leaving the best point found in x. Returns the best f (non-finite values count as
/// failures). Shared by the GP and the feasibility model.
double minimizeInBox(const BoxObjective& f, Eigen::VectorXd& x, const Eigen::VectorXd& lower,
                     const Eigen::VectorXd& upper, int maxIterations);

} // namespace dv

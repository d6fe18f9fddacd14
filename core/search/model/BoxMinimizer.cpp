#include "search/model/BoxMinimizer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace dv {

double minimizeInBox(const BoxObjective& f, Eigen::VectorXd& x, const Eigen::VectorXd& lower,
                     const Eigen::VectorXd& upper, int maxIterations) {
    // Projected L-BFGS: variables held at a bound by the gradient are frozen for the step, the rest
    // follow the quasi-Newton direction, and the line search projects back into the box. With a
    // handful of variables this converges about as fast as L-BFGS-B, at a fraction of its code.
    const Eigen::Index n = x.size();
    auto project = [&](Eigen::VectorXd& v) { v = v.cwiseMax(lower).cwiseMin(upper); };
    project(x);

    constexpr int kMemory = 8;
    std::deque<Eigen::VectorXd> sMem, yMem;
    std::deque<double> rhoMem;
    Eigen::VectorXd g(n), gNew(n), xNew(n), d(n);
    double fx = f(x, g);
    if (!std::isfinite(fx))
        return fx;
    std::deque<double> history{fx};
    auto frozen = [&](Eigen::Index i) {
        return (x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0);
    };
    for (int iter = 0; iter < maxIterations; ++iter) {
        Eigen::VectorXd gFree = g;
        for (Eigen::Index i = 0; i < n; ++i)
            if (frozen(i))
                gFree[i] = 0.0;
        if (gFree.lpNorm<Eigen::Infinity>() < 1e-6)
            break;
        // Two-loop recursion on the free variables.
        d = -gFree;
        std::vector<double> a(sMem.size());
        for (size_t k = sMem.size(); k-- > 0;) {
            a[k] = rhoMem[k] * sMem[k].dot(d);
            d -= a[k] * yMem[k];
        }
        if (!sMem.empty())
            d *= sMem.back().dot(yMem.back()) / yMem.back().squaredNorm();
        for (size_t k = 0; k < sMem.size(); ++k)
            d += (a[k] - rhoMem[k] * yMem[k].dot(d)) * sMem[k];
        for (Eigen::Index i = 0; i < n; ++i)
            if (frozen(i))
                d[i] = 0.0;
        if (!(gFree.dot(d) < 0.0)) {
            sMem.clear();
            yMem.clear();
            rhoMem.clear();
            d = -gFree;
        }
        // Backtracking (Armijo) search along the projected path; the first step moves at most one
        // unit.
        double step = sMem.empty() ? std::min(1.0, 1.0 / d.lpNorm<Eigen::Infinity>()) : 1.0;
        double fNew = std::numeric_limits<double>::infinity();
        bool accepted = false;
        for (int k = 0; k < 30; ++k) {
            xNew = x + step * d;
            project(xNew);
            fNew = f(xNew, gNew);
            if (std::isfinite(fNew) && fNew <= fx + 1e-4 * g.dot(xNew - x)) {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) {
            if (sMem.empty())
                break;
            sMem.clear();
            yMem.clear();
            rhoMem.clear();
            continue;
        }
        Eigen::VectorXd s = xNew - x;
        Eigen::VectorXd yv = gNew - g;
        const double sy = s.dot(yv);
        if (sy > 1e-12 * s.norm() * yv.norm()) {
            if (static_cast<int>(sMem.size()) == kMemory) {
                sMem.pop_front();
                yMem.pop_front();
                rhoMem.pop_front();
            }
            sMem.push_back(std::move(s));
            yMem.push_back(std::move(yv));
            rhoMem.push_back(1.0 / sy);
        }
        x = xNew;
        g = gNew;
        fx = fNew;
        // Stop once five iterations together gained almost nothing.
        history.push_back(fx);
        if (history.size() > 5) {
            if (history.front() - fx < 1e-5 * (1.0 + std::abs(fx)))
                break;
            history.pop_front();
        }
    }
    return fx;
}

} // namespace dv

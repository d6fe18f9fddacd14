// Times GaussianProcess fitting and prediction at the sizes the Bayesian-optimisation strategy
// meets (up to 500 observations, 20,000 candidates), plus the feasibility model and EI on the same
// candidates, and checks whether the approximate predictive variance used above
// GpOptions::maxVariancePoints changes the expected-improvement decision.
//
// Build (from the repository root):
//   g++ -std=c++17 -O2 -march=x86-64 -Icore -I/usr/include/eigen3 bench/bench_gaussian_process.cpp
//       core/search/model/GaussianProcess.cpp core/search/model/FeasibilityModel.cpp core/search/model/Acquisition.cpp -o bench_gp

#include "search/model/Acquisition.h"
#include "search/model/FeasibilityModel.h"
#include "search/model/GaussianProcess.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A log-time-like landscape: three strong dimensions, a coupled term, a bumpy term, and the rest
// nearly irrelevant.
double objective(const Eigen::RowVectorXd& x) {
    double v = 0.0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
        const double w = k < 3 ? 2.0 : 0.1;
        const double c = 0.2 + 0.6 * static_cast<double>(k % 4) / 3.0;
        v += w * (x[k] - c) * (x[k] - c);
    }
    return v + 0.3 * std::sin(3.0 * x[0] + 2.0 * x[1]) +
           0.25 * std::cos(9.0 * x[2]) * std::sin(7.0 * x[3]);
}

// Shared-memory-like validity: large x0 * x1 * x2 fails (about 20% of the cube).
bool valid(const Eigen::RowVectorXd& x) {
    return x[0] * x[1] * (0.5 + x[2]) < 0.45;
}

Eigen::MatrixXd uniformPoints(int n, int d, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Eigen::MatrixXd X(n, d);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
            X(i, k) = u(rng);
    return X;
}

// Best of `repeats` wall-clock times: the machine is shared, the minimum is the cost.
template <typename F> double bestOf(int repeats, F&& f) {
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        f();
        best = std::min(best, msSince(t0));
    }
    return best;
}

} // namespace

int main() {
    constexpr int kCandidates = 20000;
    std::printf("threads: %u, candidates: %d, times in ms (best of several runs)\n",
                std::thread::hardware_concurrency(), kCandidates);
    std::printf("%3s %4s | %9s %9s %9s | %8s %9s | %8s %8s %7s | %s\n", "d", "n", "fit cold",
                "fit warm", "refactor", "predict", "exact-var", "feas fit", "feas prd", "EI",
                "EI pick (approx var) ranked under exact var");
    for (int d : {6, 10}) {
        for (int n : {100, 250, 500}) {
            std::mt19937_64 rng(1234 + 17 * static_cast<unsigned>(n + d));
            std::normal_distribution<double> noise(0.0, 0.01);
            const Eigen::MatrixXd X = uniformPoints(n, d, rng);
            Eigen::VectorXd y(n);
            std::vector<bool> ok(static_cast<size_t>(n));
            for (int i = 0; i < n; ++i) {
                y[i] = objective(X.row(i)) + noise(rng);
                ok[static_cast<size_t>(i)] = valid(X.row(i));
            }
            const Eigen::MatrixXd C = uniformPoints(kCandidates, d, rng);

            // Cold: no previous hyper-parameters. Warm: the previous optimum is one of the starts.
            dv::GaussianProcess gp;
            const double coldMs = bestOf(2, [&] {
                gp = dv::GaussianProcess();
                gp.fit(X, y, rng);
            });
            const double warmMs = bestOf(2, [&] { gp.fit(X, y, rng); });
            dv::GpOptions keep;
            keep.refitHyper = false;
            const double refactorMs = bestOf(3, [&] { gp.fit(X, y, rng, keep); });
            Eigen::VectorXd mean, var;
            const double predictMs = bestOf(3, [&] { gp.predict(C, mean, var); });

            // Same hyper-parameters, exact variance over all n points.
            dv::GaussianProcess exact = gp;
            dv::GpOptions all = keep;
            all.maxVariancePoints = n;
            exact.fit(X, y, rng, all);
            Eigen::VectorXd meanExact, varExact;
            const double exactMs = bestOf(1, [&] { exact.predict(C, meanExact, varExact); });

            dv::FeasibilityModel feasibility;
            const double feasFitMs = bestOf(2, [&] { feasibility.fit(X, ok, rng); });
            Eigen::VectorXd pValid;
            const double feasPredictMs = bestOf(3, [&] { pValid = feasibility.predict(C); });

            const double best = y.minCoeff();
            Eigen::VectorXd ei;
            const double eiMs = bestOf(3, [&] { ei = dv::expectedImprovement(mean, var, best); });
            const Eigen::VectorXd eiExact = dv::expectedImprovement(meanExact, varExact, best);
            Eigen::Index pick = 0;
            ei.maxCoeff(&pick);
            const int rank = static_cast<int>((eiExact.array() > eiExact[pick]).count()) + 1;

            std::printf("%3d %4d | %9.1f %9.1f %9.1f | %8.1f %9.1f | %8.1f %8.1f %7.2f | rank %d "
                        "(EI %.3g, max %.3g)\n",
                        d, n, coldMs, warmMs, refactorMs, predictMs, exactMs, feasFitMs,
                        feasPredictMs, eiMs, rank, eiExact[pick], eiExact.maxCoeff());
        }
    }
    return 0;
}

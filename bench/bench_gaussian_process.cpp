// Times GaussianProcess fitting and prediction at the sizes the Bayesian-optimisation strategy meets
// (up to 500 observations, 20,000 candidates) and checks how often the approximate predictive variance used
// above GpOptions::maxVariancePoints changes the expected-improvement decision.

#include "Acquisition.h"
#include "GaussianProcess.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A smooth log-time-like landscape: a few relevant dimensions, a coupled term, the rest nearly irrelevant.
double objective(const Eigen::RowVectorXd& x)
{
    double v = 0.0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
        const double w = k < 3 ? 2.0 : 0.1;
        const double c = 0.2 + 0.6 * static_cast<double>(k % 4) / 3.0;
        v += w * (x[k] - c) * (x[k] - c);
    }
    return v + 0.3 * std::sin(3.0 * x[0] + 2.0 * x[1]);
}

Eigen::MatrixXd uniformPoints(int n, int d, std::mt19937_64& rng)
{
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Eigen::MatrixXd X(n, d);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
            X(i, k) = u(rng);
    return X;
}

template <typename F>
double bestOf(int repeats, F&& f)
{
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        f();
        best = std::min(best, msSince(t0));
    }
    return best;
}

} // namespace

int main()
{
    constexpr int kCandidates = 20000;
    std::printf("%3s %4s | %12s %12s %12s | %12s %14s | %s\n", "d", "n", "fit cold ms", "fit warm ms",
                "refactor ms", "predict ms", "exact-var ms", "EI pick rank under exact");
    for (int d : {6, 10}) {
        for (int n : {100, 250, 500}) {
            std::mt19937_64 rng(1234 + 17 * static_cast<unsigned>(n + d));
            std::normal_distribution<double> noise(0.0, 0.01);
            const Eigen::MatrixXd X = uniformPoints(n, d, rng);
            Eigen::VectorXd y(n);
            for (int i = 0; i < n; ++i)
                y[i] = objective(X.row(i)) + noise(rng);
            const Eigen::MatrixXd C = uniformPoints(kCandidates, d, rng);

            dv::GaussianProcess gp;
            const double coldMs = bestOf(1, [&] { gp.fit(X, y, rng); });
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

            const double best = y.minCoeff();
            const Eigen::VectorXd ei = dv::expectedImprovement(mean, var, best);
            const Eigen::VectorXd eiExact = dv::expectedImprovement(meanExact, varExact, best);
            Eigen::Index pick = 0;
            ei.maxCoeff(&pick);
            const int rank = static_cast<int>((eiExact.array() > eiExact[pick]).count()) + 1;

            std::printf("%3d %4d | %12.1f %12.1f %12.1f | %12.1f %14.1f | %d of %d (EI %.3g vs max %.3g)\n", d, n,
                        coldMs, warmMs, refactorMs, predictMs, exactMs, rank, kCandidates, eiExact[pick],
                        eiExact.maxCoeff());
            std::printf("         length scales:");
            for (Eigen::Index k = 0; k < d; ++k)
                std::printf(" %.3g", gp.lengthScales()[k]);
            std::printf("  s2 %.3g noise %.3g\n", gp.signalVariance(), gp.noiseVariance());
        }
    }
    return 0;
}

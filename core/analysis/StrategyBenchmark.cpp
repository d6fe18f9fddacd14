#include "analysis/StrategyBenchmark.h"

#include "search/SearchHistory.h"
#include "search/StrategyFactory.h"

#include <QElapsedTimer>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

namespace dv {

std::vector<double> StrategyBenchmark::expectedRandomBest(const Landscape& landscape, int maxT)
{
    const qint64 n = landscape.size();
    const double worst = landscape.worstMs();
    std::vector<double> w(static_cast<size_t>(n));
    for (qint64 i = 0; i < n; ++i)
        w[size_t(i)] = landscape.isOk(i) ? landscape.objectiveMs[size_t(i)] : worst;
    std::sort(w.begin(), w.end());
    std::vector<double> out;
    for (int t = 1; t <= maxT; ++t) {
        if (t > n) {
            out.push_back(w.empty() ? worst : w.front());
            continue;
        }
        // q_k = P(all t draws have rank >= k) = C(n-k+1, t) / C(n, t); P(min has rank k) = q_k - q_{k+1}.
        double expected = 0, q = 1;
        for (qint64 k = 1; k <= n && q > 0; ++k) {
            const double remaining = double(n - k + 1);
            const double next = remaining - t <= 0 ? 0.0 : q * (remaining - t) / remaining;
            expected += w[size_t(k - 1)] * (q - next);
            q = next;
        }
        out.push_back(expected);
    }
    return out;
}

Result<std::vector<double>> StrategyBenchmark::run(const Landscape& landscape, const QString& strategyName,
                                                   const QJsonObject& options, quint64 seed, int budget,
                                                   double* proposalMs, int parallel)
{
    if (parallel < 1)
        return Error{QStringLiteral("--parallel %1: expected at least 1 slot").arg(parallel)};
    auto created = StrategyFactory::create(strategyName, options);
    if (!created)
        return Error{created.error()};
    Strategy& strategy = *created.value();
    strategy.initialize(landscape.space, seed);
    SearchHistory history(landscape.size());
    std::vector<double> curve;
    curve.reserve(size_t(budget));
    double best = landscape.worstMs();
    QElapsedTimer clock;
    qint64 spentNs = 0;
    int proposals = 0;
    std::deque<qint64> inFlight; // started, not yet finished: pending in the history
    while (int(curve.size()) < budget) {
        while (int(inFlight.size()) < parallel && int(curve.size() + inFlight.size()) < budget) {
            clock.start();
            const std::vector<qint64> next = strategy.propose(history, 1);
            spentNs += clock.nsecsElapsed();
            ++proposals;
            if (next.empty())
                break;
            const qint64 index = next.front();
            if (index < 0 || index >= landscape.size() || history.isTaken(index))
                return Error{QStringLiteral("strategy '%1' proposed %2, outside the space or already evaluated")
                                 .arg(strategyName).arg(index)};
            history.markPending(index);
            inFlight.push_back(index);
        }
        if (inFlight.empty())
            break;
        const qint64 index = inFlight.front();
        inFlight.pop_front();
        const Status status = landscape.status[size_t(index)];
        const double time = landscape.objectiveMs[size_t(index)];
        history.add(Observation{index, status, time});
        if (status == Status::Ok)
            best = std::min(best, time);
        curve.push_back(best);
    }
    while (int(curve.size()) < budget)
        curve.push_back(best);
    if (proposalMs)
        *proposalMs = proposals ? double(spentNs) / 1e6 / proposals : 0.0;
    return curve;
}

StrategyScore StrategyBenchmark::scoreCurves(const Landscape& landscape, const std::vector<std::vector<double>>& curves,
                                             int budget)
{
    StrategyScore s;
    s.landscape = landscape.name;
    s.budget = budget;
    s.seeds = int(curves.size());
    const double opt = landscape.bestMs();
    if (curves.empty() || !std::isfinite(opt))
        return s;
    std::vector<double> evalsTo5;
    double sumRatio = 0;
    for (const auto& c : curves) {
        const double finalBest = c[size_t(budget - 1)];
        s.shareWithin5 += finalBest <= 1.05 * opt ? 1 : 0;
        s.shareWithin1 += finalBest <= 1.01 * opt ? 1 : 0;
        sumRatio += finalBest / opt;
        double reached = std::numeric_limits<double>::infinity();
        for (int t = 0; t < budget; ++t) {
            if (c[size_t(t)] <= 1.05 * opt) {
                reached = t + 1;
                break;
            }
        }
        evalsTo5.push_back(reached);
    }
    const double runs = double(curves.size());
    s.shareWithin5 /= runs;
    s.shareWithin1 /= runs;
    s.meanBestOverOptimum = sumRatio / runs;
    std::sort(evalsTo5.begin(), evalsTo5.end());
    const size_t m = evalsTo5.size();
    s.medianEvalsTo5 = m % 2 ? evalsTo5[m / 2] : 0.5 * (evalsTo5[m / 2 - 1] + evalsTo5[m / 2]);

    const std::vector<double> random = expectedRandomBest(landscape, budget);
    const double span1 = random[0] - opt;
    double sum = 0;
    int counted = 0;
    for (int t = 0; t < budget; ++t) {
        const double span = random[size_t(t)] - opt;
        if (!(span >= 0.01 * span1) || span <= 0)
            continue;
        double mean = 0;
        for (const auto& c : curves)
            mean += c[size_t(t)];
        mean /= runs;
        sum += (random[size_t(t)] - mean) / span;
        ++counted;
    }
    s.methodologyScore = counted ? sum / counted : 0.0;
    return s;
}

Result<std::vector<StrategyScore>> StrategyBenchmark::score(const Landscape& landscape, const QString& strategy,
                                                            const QJsonObject& options,
                                                            const std::vector<int>& budgets, int seeds, int threads,
                                                            quint64 firstSeed, int parallel)
{
    if (budgets.empty() || seeds < 1)
        return Error{QStringLiteral("need at least one budget and one seed")};
    if (firstSeed < 1)
        return Error{QStringLiteral("seeds start at 1")};
    const int maxBudget = *std::max_element(budgets.begin(), budgets.end());
    std::vector<std::vector<double>> curves(static_cast<size_t>(seeds));
    std::vector<double> proposalMs(size_t(seeds), 0.0);
    std::atomic<int> nextSeed{0};
    QString firstError;
    std::mutex errorLock;
    auto worker = [&] {
        for (int i = nextSeed++; i < seeds; i = nextSeed++) {
            auto curve = run(landscape, strategy, options, firstSeed + quint64(i), maxBudget, &proposalMs[size_t(i)], parallel);
            if (!curve) {
                std::lock_guard<std::mutex> lock(errorLock);
                firstError = curve.error();
                return;
            }
            curves[size_t(i)] = std::move(curve.value());
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::max(1, threads); ++t)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    if (!firstError.isEmpty())
        return Error{firstError};
    double meanProposal = 0;
    for (double ms : proposalMs)
        meanProposal += ms / seeds;
    std::vector<StrategyScore> out;
    for (int b : budgets) {
        StrategyScore s = scoreCurves(landscape, curves, b);
        s.strategy = strategy;
        s.meanProposalMs = meanProposal;
        out.push_back(s);
    }
    return out;
}

} // namespace dv

// Refresh against a cold bayes search (issue 16 item 2): for pairs of recorded landscapes (A = the
// old platform, standing in for a ladder tuned there: every configuration measured; B = the new
// one), the evaluations a refresh needs to get within 2% of B's optimum against a cold bayes
// search at budget 100, median over seeds, and where the refresh's patience rule stopped it.
//
//   bench_refresh [--seeds N] [--budget N] [--threads N] [A=B ...]
//
// Without pairs: the convolution on A100 / MI250X / W7800 in every direction, the H100 Triton matmul
// 1024^3 -> 4096^3 and RMSNorm 4096 -> 32768 rows. Any replay id or dataset path works as A or B (the
// H200 sweep: A=replay:h100/triton_matmul_fp16_M4096_N4096_K4096 B=PATH/h200/...json.gz).
// The refresh runs are the recipe's own: Refresh::strategyOptions and RefreshStrategy, run to the
// budget with the patience rule off, and the rule applied afterwards to the same history (it only
// ends a search, so the stopped search is a prefix of this one).
#include "analysis/Landscape.h"
#include "device/DeviceRegistry.h"
#include "export/Refresh.h"
#include "search/BayesianStrategy.h"
#include "search/RefreshStrategy.h"
#include "search/SearchHistory.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <thread>

using namespace dv;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct RunResult {
    double evalsTo2 = kInf;  // evaluations until the best is within 2% of B's optimum
    double stoppedAt = kInf; // refresh: where the patience rule ends the search (inf: the budget did)
    double stoppedAtLong = kInf; // the same with the patience of --also-patience
    bool transfer = false;
};

double median(std::vector<double> v)
{
    if (v.empty())
        return kInf;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

QString fmt(double v)
{
    return std::isfinite(v) ? QString::number(v, 'g', 4) : QStringLiteral("-");
}

RefreshSource sourceOf(const Landscape& a, const QString& name)
{
    RefreshSource s;
    s.origin = name;
    for (qint64 i = 0; i < a.size(); ++i) {
        Trial t;
        t.config = a.space.config(i);
        t.configKey = a.space.key(i);
        t.measurement.status = a.status[size_t(i)];
        t.measurement.objectiveMs = a.objectiveMs[size_t(i)];
        s.trials.append(t);
    }
    return s;
}

/// One search on B to the budget: refresh (with `options`) or cold bayes (`options` empty).
RunResult runOne(const Landscape& b, const QJsonObject& refreshOptions, quint64 seed, int budget, int alsoPatience)
{
    const bool refresh = !refreshOptions.isEmpty();
    std::unique_ptr<Strategy> strategy;
    RefreshStrategy judge(refreshOptions); // applies the patience rule to each prefix
    QJsonObject longer = refreshOptions;
    longer.insert(QStringLiteral("patience"), alsoPatience);
    RefreshStrategy judgeLong(longer); // another patience, judged on the same run
    if (refresh) {
        QJsonObject unstopped = refreshOptions;
        unstopped.insert(QStringLiteral("patience"), 0);
        unstopped.insert(QStringLiteral("coldPatience"), 0);
        strategy = std::make_unique<RefreshStrategy>(unstopped);
        judge.initialize(b.space, seed);
        judgeLong.initialize(b.space, seed);
    } else {
        strategy = std::make_unique<BayesianStrategy>();
    }
    strategy->initialize(b.space, seed);
    SearchHistory history(b.size());
    const double target = b.bestMs() * 1.02;
    double best = kInf;
    RunResult r;
    for (int t = 1; t <= budget; ++t) {
        const auto next = strategy->propose(history, 1);
        if (next.empty())
            break;
        const qint64 i = next.front();
        history.add(Observation{i, b.status[size_t(i)], b.objectiveMs[size_t(i)]});
        if (b.isOk(i))
            best = std::min(best, b.objectiveMs[size_t(i)]);
        if (best <= target && !std::isfinite(r.evalsTo2))
            r.evalsTo2 = t;
        if (refresh && alsoPatience > 0 && !std::isfinite(r.stoppedAtLong) && judgeLong.verdict(history).confirmed)
            r.stoppedAtLong = t;
        if (refresh && !std::isfinite(r.stoppedAt)) {
            const RefreshVerdict v = judge.verdict(history);
            r.transfer = v.mode == RefreshVerdict::Mode::Transfer;
            if (v.confirmed)
                r.stoppedAt = t;
        }
    }
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int seeds = 20, budget = 100, threads = 2;
    int alsoPatience = 0; // --also-patience N: the stop figures for another patience too, from the same runs
    QString coldSeeds; // --cold-seeds hidden|observed: whether the cold fallback's model sees the seeds
    QStringList pairs;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--seeds") && i + 1 < args.size())
            seeds = args[++i].toInt();
        else if (args[i] == QLatin1String("--budget") && i + 1 < args.size())
            budget = args[++i].toInt();
        else if (args[i] == QLatin1String("--also-patience") && i + 1 < args.size())
            alsoPatience = args[++i].toInt();
        else if (args[i] == QLatin1String("--cold-seeds") && i + 1 < args.size())
            coldSeeds = args[++i];
        else if (args[i] == QLatin1String("--threads") && i + 1 < args.size())
            threads = std::max(1, args[++i].toInt());
        else
            pairs.append(args[i]);
    }
    if (pairs.isEmpty()) {
        const QStringList conv{QStringLiteral("A100"), QStringLiteral("MI250X"), QStringLiteral("W7800")};
        for (const QString& a : conv)
            for (const QString& b : conv)
                if (a != b)
                    pairs.append(QStringLiteral("replay:kerneltuner/convolution_%1=replay:kerneltuner/convolution_%2").arg(a, b));
        pairs.append(QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024=replay:h100/triton_matmul_fp16_M4096_N4096_K4096"));
        pairs.append(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows4096_N4096=replay:h100/triton_rmsnorm_fp16_rows32768_N4096"));
    }
    const RefreshSettings settings;
    std::printf("%d seeds (1..%d), budget %d; refresh: %d seeds of A then bayes, patience %d (cold mode: none, the budget), tolerance %.0f%%, agreement %.2f\n\n",
                seeds, seeds, budget, settings.seedCount, settings.patience, settings.tolerance * 100,
                settings.agreement);
    std::printf("| A -> B | A's best on B (x B's optimum) | refresh mode (transfer / cold) | refresh: evals to 2%% (median) | "
                "refresh: within 2%% when stopped | refresh: evals when stopped (median) | cold bayes: evals to 2%% (median) | "
                "cold bayes: within 2%% at %d |\n|---|---|---|---|---|---|---|---|\n", budget);
    QHash<QString, std::vector<RunResult>> coldCache;
    for (const QString& pair : pairs) {
        const QStringList ab = pair.split(QLatin1Char('='));
        if (ab.size() != 2) {
            std::fprintf(stderr, "bench_refresh: expected A=B, got '%s'\n", qPrintable(pair));
            return 2;
        }
        auto da = DeviceRegistry::openRecorded(ab[0]);
        auto db = DeviceRegistry::openRecorded(ab[1]);
        if (!da || !db) {
            std::fprintf(stderr, "bench_refresh: %s\n", qPrintable(da ? db.error() : da.error()));
            return 2;
        }
        const Landscape a = Landscape::fromCache(da.value()->cache(), ab[0]);
        const Landscape b = Landscape::fromCache(db.value()->cache(), ab[1]);
        const RefreshSource source = sourceOf(a, ab[0]);
        QJsonObject options = Refresh::strategyOptions(source, {source}, settings);
        if (!coldSeeds.isEmpty())
            options.insert(QStringLiteral("coldSeeds"), coldSeeds);
        const qint64 aBest = b.space.indexOf(a.space.config(a.bestIndex()));
        const double aBestOnB = aBest >= 0 && b.isOk(aBest) ? b.objectiveMs[size_t(aBest)] / b.bestMs() : kInf;

        QElapsedTimer clock;
        clock.start();
        const bool needCold = !coldCache.contains(ab[1]);
        std::vector<RunResult> refresh(static_cast<size_t>(seeds)), cold(static_cast<size_t>(seeds));
        std::atomic<int> next{0};
        auto work = [&] {
            for (int job; (job = next++) < 2 * seeds;) {
                const quint64 seed = quint64(job % seeds) + 1;
                if (job < seeds)
                    refresh[size_t(job)] = runOne(b, options, seed, budget, alsoPatience);
                else if (needCold)
                    cold[size_t(job - seeds)] = runOne(b, {}, seed, budget, 0);
            }
        };
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back(work);
        for (auto& t : pool)
            t.join();
        if (needCold)
            coldCache.insert(ab[1], cold);
        cold = coldCache.value(ab[1]);

        std::vector<double> rTo2, rStop, cTo2, rStopLong, rTo2Long;
        int transfer = 0, reachedBeforeStop = 0, coldReached = 0, reachedLong = 0;
        for (int s = 0; s < seeds; ++s) {
            const RunResult& r = refresh[size_t(s)];
            transfer += r.transfer ? 1 : 0;
            const double stop = std::isfinite(r.stoppedAt) ? r.stoppedAt : budget;
            rStop.push_back(stop);
            // A stopped refresh keeps its best: reached only if it got there before the stop.
            rTo2.push_back(r.evalsTo2 <= stop ? r.evalsTo2 : kInf);
            reachedBeforeStop += r.evalsTo2 <= stop ? 1 : 0;
            const double stopLong = std::isfinite(r.stoppedAtLong) ? r.stoppedAtLong : budget;
            rStopLong.push_back(stopLong);
            reachedLong += r.evalsTo2 <= stopLong ? 1 : 0;
            rTo2Long.push_back(r.evalsTo2 <= stopLong ? r.evalsTo2 : kInf);
            cTo2.push_back(cold[size_t(s)].evalsTo2);
            coldReached += std::isfinite(cold[size_t(s)].evalsTo2) ? 1 : 0;
        }
        auto shortName = [](QString id) { return id.section(QLatin1Char('/'), -2).remove(QStringLiteral(".json.gz")).remove(QStringLiteral("replay:")); };
        std::printf("| %s -> %s | %s | %d / %d | %s | %d/%d | %s | %s | %d/%d |\n", qPrintable(shortName(ab[0])), qPrintable(shortName(ab[1])),
                    qPrintable(std::isfinite(aBestOnB) ? QString::number(aBestOnB, 'f', 2) : QStringLiteral("fails")),
                    transfer, seeds - transfer, qPrintable(fmt(median(rTo2))), reachedBeforeStop, seeds, qPrintable(fmt(median(rStop))),
                    qPrintable(fmt(median(cTo2))), coldReached, seeds);
        if (alsoPatience > 0)
            std::printf("|   the same runs, patience %d | | | %s | %d/%d | %s | | |\n", alsoPatience, qPrintable(fmt(median(rTo2Long))), reachedLong, seeds,
                        qPrintable(fmt(median(rStopLong))));
        std::fflush(stdout);
        std::fprintf(stderr, "  %s: %.1f s\n", qPrintable(pair), double(clock.nsecsElapsed()) / 1e9);
    }
    return 0;
}

// How good is the comparison's estimate of a cell nobody measured (issue 16 item 5)? For pairs
// of recorded landscapes, two sessions are simulated as N configurations drawn at random from
// each GPU's space (a random search of budget N); the portability cell "A's session best on B" is
// estimated by PortabilityEstimate (B's surrogate) and compared with the recorded truth (B's
// recorded time of that configuration over B's session best). Per pair and N, over the seeds:
// the median error factor (exp of the median |log(estimate / truth)|), the share within 1.25x,
// the share of truths inside the 95 % interval, and how often A's best fails on B (no time to
// estimate: the surrogate is of B's times only).
//
//   bench_estimate [--seeds N] [--sizes 20,50,100] [A=B ...]
#include "analysis/Landscape.h"
#include "analysis/Portability.h"
#include "analysis/PortabilityEstimate.h"
#include "device/DeviceRegistry.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

using namespace dv;

namespace {

Landscape load(const QString& id)
{
    auto replay = DeviceRegistry::openRecorded(id);
    if (!replay)
        qFatal("%s: %s", qPrintable(id), qPrintable(replay.error()));
    return Landscape::fromCache(replay.value()->cache(), id.section(QLatin1Char('/'), -1));
}

/// The landscape a random session of `n` evaluations would have measured.
Landscape sampled(const Landscape& full, int n, quint64 seed)
{
    Landscape l = full;
    l.measured.assign(size_t(full.size()), false);
    std::vector<qint64> all(size_t(full.size()));
    for (qint64 k = 0; k < full.size(); ++k)
        all[size_t(k)] = k;
    std::mt19937_64 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
    for (int i = 0; i < n && i < int(all.size()); ++i)
        l.measured[size_t(all[size_t(i)])] = true;
    for (qint64 k = 0; k < l.size(); ++k)
        if (!l.measured[size_t(k)]) {
            l.status[size_t(k)] = Status::Invalid;
            l.objectiveMs[size_t(k)] = std::nan("");
        }
    return l;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    int seeds = 20;
    QList<int> sizes{20, 50, 100};
    QStringList pairs;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--seeds") && i + 1 < args.size())
            seeds = args[++i].toInt();
        else if (args[i] == QLatin1String("--sizes") && i + 1 < args.size()) {
            sizes.clear();
            for (const QString& s : args[++i].split(QLatin1Char(',')))
                sizes.append(s.toInt());
        } else
            pairs.append(args[i]);
    }
    if (pairs.isEmpty()) {
        const QStringList gpus{QStringLiteral("A100"), QStringLiteral("MI250X"), QStringLiteral("W7800")};
        for (const QString& a : gpus)
            for (const QString& b : gpus)
                if (a != b)
                    pairs.append(QStringLiteral("replay:kerneltuner/convolution_%1=replay:kerneltuner/convolution_%2").arg(a, b));
    }
    std::printf("| A -> B | N per session | cells | median error factor | within 1.25x | truth in 95%% interval | A's best fails on B |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    for (const QString& pair : pairs) {
        const Landscape fa = load(pair.section(QLatin1Char('='), 0, 0));
        const Landscape fb = load(pair.section(QLatin1Char('='), 1));
        for (int n : sizes) {
            std::vector<double> errors;
            int within = 0, covered = 0, fails = 0, cells = 0;
            for (int s = 1; s <= seeds; ++s) {
                const std::vector<Landscape> ls{sampled(fa, n, quint64(s)), sampled(fb, n, quint64(s) + 1000)};
                auto m = Portability::compute(ls);
                if (!m || !m->unmeasured(0, 1))
                    continue; // A's best happened to be in B's sample: measured, nothing to estimate
                const qint64 onB = fb.space.indexOf(ls[0].space.config(ls[0].bestIndex()));
                if (onB < 0)
                    continue;
                if (!fb.isOk(onB)) {
                    ++fails;
                    continue;
                }
                const PortabilityEstimate e = PortabilityEstimate::compute(ls, m.value());
                const EstimatedSlowdown& c = e.at(0, 1);
                if (!c.isValid())
                    continue;
                ++cells;
                const double truth = fb.objectiveMs[size_t(onB)] / m->bestMs(1);
                const double err = std::abs(std::log(c.slowdown / truth));
                errors.push_back(err);
                within += err <= std::log(1.25) ? 1 : 0;
                covered += truth >= c.low && truth <= c.high ? 1 : 0;
            }
            std::printf("| %s -> %s | %d | %d | %.2fx | %d/%d | %d/%d | %d |\n", qPrintable(fa.name), qPrintable(fb.name), n, cells,
                        std::exp(median(errors)), within, cells, covered, cells, fails);
            std::fflush(stdout);
        }
    }
    return 0;
}

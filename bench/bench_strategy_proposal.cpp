// Time of one proposal of each strategy with many observations and candidates.
// Target (issue 3): bayes under 100 ms per proposal with 500 observations and 20,000 candidates
// on the 2-core development machine.
#include "base/Rng.h"
#include "search/SearchHistory.h"
#include "search/StrategyFactory.h"
#include "space/ConfigSpace.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

using namespace dv;

namespace {

ConfigSpace makeSpace(qint64 target)
{
    // Six parameters with 4..7 values each, enough combinations that the valid set has `target`.
    QVector<Parameter> params;
    const int sizes[] = {7, 6, 6, 5, 5, 4};
    for (int i = 0; i < 6; ++i) {
        Parameter p;
        p.name = QStringLiteral("p%1").arg(i);
        for (int v = 0; v < sizes[i]; ++v)
            p.values.append(1 << v);
        params.append(p);
    }
    // 25,200 combinations; the constraint keeps about 20,000.
    auto space = ConfigSpace::create(QStringLiteral("bench"), params, {QStringLiteral("p0 * p1 <= 2048")});
    (void)target;
    return space.value();
}

double objective(const ConfigSpace& space, qint64 index)
{
    const auto v = space.valueIndices(index);
    double x = 0;
    for (size_t i = 0; i < v.size(); ++i)
        x += std::pow(double(v[i]) - 2.0, 2) * (1.0 + 0.3 * double(i)) + 0.2 * std::sin(3.0 * v[i] * (i + 1));
    return std::exp(0.2 * x);
}

double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const ConfigSpace space = makeSpace(20000);
    std::printf("space: %lld valid configurations\n\n", space.size());
    // Optional arguments: a strategy name and a number of observations, to time (or profile) one case.
    const QString only = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    const int onlyObserved = argc > 2 ? std::atoi(argv[2]) : 0;
    // A third argument: strategy options as JSON (e.g. '{"levels":false}').
    const QJsonObject options =
        argc > 3 ? QJsonDocument::fromJson(QByteArray(argv[3])).object() : QJsonObject{};
    const int repeats = 12;
    // Wall time, and the CPU time of this thread (bayes models run on one thread by default): on a
    // shared machine the latter is what the proposal would take on a quiet one.
    std::printf("| strategy | observations | candidates | batch | median ms | max ms | median CPU ms | max CPU ms |\n"
                "|---|---|---|---|---|---|---|---|\n");
    for (const char* name : {"random", "local", "genetic", "bayes"}) {
        if (!only.isEmpty() && only != QLatin1String(name))
            continue;
        for (int observed : {100, 500}) {
            if (onlyObserved > 0 && observed != onlyObserved)
                continue;
            for (int batch : {1, 4}) {
                auto strategy = StrategyFactory::create(QString::fromLatin1(name), options).value();
                strategy->initialize(space, 1);
                SearchHistory history(space.size());
                Rng rng(5);
                while (history.count() < observed) {
                    const qint64 i = qint64(rng.below(quint64(space.size())));
                    if (history.isTaken(i))
                        continue;
                    const bool fails = rng.uniform() < 0.1;
                    history.add(Observation{i, fails ? Status::CompileError : Status::Ok, objective(space, i)});
                }
                std::vector<double> ms, cpu;
                for (int r = 0; r < repeats; ++r) {
                    QElapsedTimer t;
                    const double cpu0 = threadCpuMs();
                    t.start();
                    const auto proposals = strategy->propose(history, batch);
                    ms.push_back(double(t.nsecsElapsed()) / 1e6);
                    cpu.push_back(threadCpuMs() - cpu0);
                    if (std::getenv("DEJAVU_BENCH_VERBOSE"))
                        std::fprintf(stderr, "repeat %d: %.1f ms CPU\n", r, cpu.back());
                    if (int(proposals.size()) != batch)
                        return 1;
                }
                std::sort(ms.begin(), ms.end());
                std::sort(cpu.begin(), cpu.end());
                std::printf("| %s | %d | %lld | %d | %.2f | %.2f | %.2f | %.2f |\n", name, observed,
                            space.size() - observed, batch, ms[ms.size() / 2], ms.back(), cpu[cpu.size() / 2],
                            cpu.back());
                std::fflush(stdout);
            }
        }
    }
    return 0;
}

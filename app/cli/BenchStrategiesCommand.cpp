// `dejavu-tune bench-strategies`: scores search strategies on recorded landscapes.
#include "Cli.h"

#include "CliSupport.h"

#include "analysis/Landscape.h"
#include "analysis/StrategyBenchmark.h"
#include "base/Format.h"
#include "device/DeviceRegistry.h"
#include "device/KernelTunerCache.h"
#include "device/ReplayDevice.h"
#include "search/StrategyFactory.h"
#include "session/WarmStart.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QFileInfo>
#include <QRegularExpression>
#include <QThread>

#include <glob.h>

#include <cmath>
#include <cstdio>
#include <map>

namespace dv {

using namespace cli;

namespace {

/// Built-in ids matching the pattern (with or without the "replay:" prefix), else files matching it.
QStringList resolveDatasets(const QString& patterns)
{
    QStringList out;
    for (const QString& pattern : patterns.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        // '*' matches across '/' here, so "*" selects every built-in dataset.
        QString rx = QRegularExpression::escape(pattern);
        rx.replace(QLatin1String("\\*"), QLatin1String(".*")).replace(QLatin1String("\\?"), QLatin1String("."));
        const QRegularExpression re(QRegularExpression::anchoredPattern(rx));
        bool matched = false;
        for (const QString& id : DeviceRegistry::builtinReplayIds()) {
            if (re.match(id).hasMatch() || re.match(id.mid(7)).hasMatch()) {
                out.append(id);
                matched = true;
            }
        }
        if (matched)
            continue;
        glob_t g{};
        if (::glob(pattern.toLocal8Bit().constData(), 0, nullptr, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; ++i)
                out.append(QString::fromLocal8Bit(g.gl_pathv[i]));
        }
        globfree(&g);
    }
    out.removeDuplicates();
    return out;
}

QString fmt(double x, int digits = 2)
{
    return std::isfinite(x) ? QString::number(x, 'f', digits) : QStringLiteral("-");
}

} // namespace

int Cli::benchStrategies(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("datasets"), QStringLiteral("Comma-separated globs over built-in ids (e.g. 'h100/*') or file paths."), QStringLiteral("GLOB"), QStringLiteral("*")});
    p.addOption({QStringLiteral("strategies"), QStringLiteral("Comma-separated strategies (%1; default %2).").arg(StrategyFactory::names().join(QStringLiteral(", ")), StrategyFactory::defaultName()), QStringLiteral("LIST"), StrategyFactory::defaultName()});
    p.addOption({QStringLiteral("budgets"), QStringLiteral("Comma-separated evaluation budgets."), QStringLiteral("LIST"), QStringLiteral("50,100,200")});
    p.addOption({QStringLiteral("seeds"), QStringLiteral("Runs per strategy and landscape (seeds 1..N)."), QStringLiteral("N"), QStringLiteral("30")});
    p.addOption({QStringLiteral("first-seed"), QStringLiteral("First seed (default 1): seeds F..F+N-1, e.g. 101 for a second, independent sample of runs."), QStringLiteral("F"), QStringLiteral("1")});
    p.addOption({QStringLiteral("warm-start"), QStringLiteral("TARGET=SOURCE: also run bayes on landscapes matching TARGET warm-started from the landscape SOURCE (repeatable)."), QStringLiteral("PAIR")});
    p.addOption({QStringLiteral("options"), QStringLiteral("Strategy options as a JSON object (e.g. '{\"candidates\": 5000}'), given to every strategy that takes options."), QStringLiteral("JSON")});
    p.addOption({QStringLiteral("parallel"), QStringLiteral("Play each run as a session on K slots: K evaluations in flight, pending "
                                                            "when the next is proposed (default 1)."), QStringLiteral("K"), QStringLiteral("1")});
    p.addOption({QStringLiteral("slots"), QStringLiteral("Same as --parallel."), QStringLiteral("K")});
    p.addOption({QStringLiteral("threads"), QStringLiteral("Threads (default: the number of cores)."), QStringLiteral("N")});
    if (!parse(p, args, QStringLiteral("Score search strategies on recorded landscapes (docs/benchmarks.md explains the measures).")))
        return kBadInput;
    bool ok = false;
    const int seeds = p.value(QStringLiteral("seeds")).toInt(&ok);
    if (!ok || seeds < 1) {
        err(QStringLiteral("--seeds: expected a positive integer, got '%1'").arg(p.value(QStringLiteral("seeds"))));
        return 2;
    }
    qint64 parallel = 1;
    if (p.isSet(QStringLiteral("slots")) && !p.isSet(QStringLiteral("parallel")))
        parallel = p.value(QStringLiteral("slots")).toLongLong(&ok);
    else
        parallel = p.value(QStringLiteral("parallel")).toLongLong(&ok);
    if (!ok || parallel < 1 || parallel > 256) {
        err(QStringLiteral("--parallel: expected a number of slots from 1 to 256"));
        return kBadInput;
    }
    const qlonglong firstSeed = p.value(QStringLiteral("first-seed")).toLongLong(&ok);
    if (!ok || firstSeed < 1) {
        err(QStringLiteral("--first-seed: expected a positive integer, got '%1'").arg(p.value(QStringLiteral("first-seed"))));
        return 2;
    }
    int threads = QThread::idealThreadCount();
    if (p.isSet(QStringLiteral("threads"))) {
        threads = p.value(QStringLiteral("threads")).toInt(&ok);
        if (!ok || threads < 1) {
            err(QStringLiteral("--threads: expected a positive integer"));
            return 2;
        }
    }
    QJsonObject strategyOptions;
    if (p.isSet(QStringLiteral("options"))) {
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(p.value(QStringLiteral("options")).toUtf8(), &error);
        if (!doc.isObject()) {
            err(QStringLiteral("--options: expected a JSON object (%1)").arg(error.error != QJsonParseError::NoError ? error.errorString() : QStringLiteral("not an object")));
            return 2;
        }
        strategyOptions = doc.object();
    }
    std::vector<int> budgets;
    for (const QString& b : p.value(QStringLiteral("budgets")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const int v = b.trimmed().toInt(&ok);
        if (!ok || v < 1) {
            err(QStringLiteral("--budgets: '%1' is not a positive integer").arg(b));
            return 2;
        }
        budgets.push_back(v);
    }
    if (budgets.empty()) {
        err(QStringLiteral("--budgets: give at least one budget"));
        return 2;
    }
    const QStringList strategies = p.value(QStringLiteral("strategies")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString& s : strategies) {
        if (!StrategyFactory::create(s.trimmed())) {
            err(QStringLiteral("--strategies: unknown strategy '%1' (known: %2)").arg(s, StrategyFactory::names().join(QStringLiteral(", "))));
            return 2;
        }
    }
    const QStringList datasets = resolveDatasets(p.value(QStringLiteral("datasets")));
    if (datasets.isEmpty()) {
        err(QStringLiteral("--datasets: '%1' matches no built-in dataset and no file").arg(p.value(QStringLiteral("datasets"))));
        return 2;
    }

    std::vector<Landscape> landscapes;
    for (const QString& id : datasets) {
        auto device = DeviceRegistry::open(id);
        if (!device) {
            err(device.error());
            return 2;
        }
        auto* replay = dynamic_cast<ReplayDevice*>(device.value().get());
        const QString name = id.startsWith(QLatin1String("replay:")) && !QFileInfo(id.mid(7)).isAbsolute()
            ? id.mid(7) : QFileInfo(id).fileName();
        landscapes.push_back(Landscape::fromCache(replay->cache(), name));
        if (!std::isfinite(landscapes.back().bestMs())) {
            err(QStringLiteral("%1: no valid configuration; cannot score strategies on it").arg(id));
            return 2;
        }
    }

    // Warm starts: (target landscape position, source landscape, strategy label).
    struct Warm {
        size_t target;
        QString sourceName;
        QJsonArray prior; ///< the source landscape as the strategy's prior (WarmStart)
    };
    std::vector<Warm> warms;
    for (const QString& pair : p.values(QStringLiteral("warm-start"))) {
        const QStringList parts = pair.split(QLatin1Char('='));
        if (parts.size() != 2) {
            err(QStringLiteral("--warm-start: expected TARGET=SOURCE, got '%1'").arg(pair));
            return 2;
        }
        const QStringList sources = resolveDatasets(parts[1]);
        if (sources.size() != 1) {
            err(QStringLiteral("--warm-start: '%1' must name exactly one dataset").arg(parts[1]));
            return 2;
        }
        auto device = DeviceRegistry::open(sources.first());
        if (!device) {
            err(device.error());
            return 2;
        }
        const QString sourceName = sources.first().mid(7);
        const QJsonArray prior = WarmStart::fromRecorded(dynamic_cast<ReplayDevice*>(device.value().get())->cache());
        const QStringList targets = resolveDatasets(parts[0]);
        for (size_t li = 0; li < landscapes.size(); ++li) {
            for (const QString& t : targets) {
                if (t.mid(7) == landscapes[li].name && landscapes[li].name != sourceName)
                    warms.push_back(Warm{li, sourceName, prior});
            }
        }
    }

    // results[budget][strategy] -> one score per landscape
    std::map<int, std::map<QString, std::vector<StrategyScore>>> results;
    for (const Landscape& l : landscapes) {
        for (const QString& s : strategies) {
            QElapsedTimer clock;
            clock.start();
            auto scores = StrategyBenchmark::score(l, s.trimmed(), strategyOptions, budgets, seeds, threads, quint64(firstSeed), int(parallel));
            if (!scores) {
                err(scores.error());
                return 1;
            }
            std::fprintf(stderr, "%-45s %-8s %s\n", qPrintable(l.name), qPrintable(s), qPrintable(Format::duration(double(clock.nsecsElapsed()) / 1e9)));
            for (const StrategyScore& sc : scores.value())
                results[sc.budget][s.trimmed()].push_back(sc);
        }
    }
    std::map<int, std::vector<StrategyScore>> warmResults;
    for (const Warm& w : warms) {
        const QJsonObject options = WarmStart::withPrior(strategyOptions, w.prior);
        for (const char* name : {"bayes"}) {
            auto scores = StrategyBenchmark::score(landscapes[w.target], QLatin1String(name), options, budgets, seeds, threads, quint64(firstSeed), int(parallel));
            if (!scores) {
                err(scores.error());
                return 1;
            }
            for (StrategyScore sc : scores.value()) {
                sc.strategy = QStringLiteral("%1, warm from %2").arg(QLatin1String(name), w.sourceName);
                warmResults[sc.budget].push_back(sc);
            }
        }
    }

    if (parallel > 1)
        std::printf("Played as sessions on %lld slots: %lld evaluations in flight, pending when the next is proposed.\n", (long long)parallel,
                    (long long)parallel);
    std::printf("Strategy benchmark: %d seeds per strategy and landscape (%lld..%lld); every evaluation counts, failures included.\n"
                "within5/within1: share of runs within 5%%/1%% of the optimum at the budget; evals-to-5%%: median evaluations "
                "to get within 5%% (- if most runs never did); best/opt: mean ratio at the budget; P: methodology score "
                "(Willemsen et al. 2024; 0 = random search, 1 = optimum at once); ms/proposal: the strategy's own time.\n",
                seeds, firstSeed, firstSeed + seeds - 1);
    for (const auto& [budget, byStrategy] : results) {
        std::printf("\n### Budget %d\n\n| landscape | strategy | within5 | within1 | evals-to-5%% | best/opt | P | ms/proposal |\n"
                    "|---|---|---|---|---|---|---|---|\n", budget);
        for (size_t li = 0; li < landscapes.size(); ++li) {
            for (const QString& s : strategies) {
                const StrategyScore& sc = byStrategy.at(s.trimmed())[li];
                std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", qPrintable(sc.landscape), qPrintable(sc.strategy),
                            qPrintable(fmt(sc.shareWithin5)), qPrintable(fmt(sc.shareWithin1)),
                            qPrintable(std::isfinite(sc.medianEvalsTo5) ? QString::number(sc.medianEvalsTo5) : QStringLiteral("-")),
                            qPrintable(fmt(sc.meanBestOverOptimum, 3)), qPrintable(fmt(sc.methodologyScore)),
                            qPrintable(fmt(sc.meanProposalMs, 3)));
            }
        }
        for (const StrategyScore& sc : warmResults[budget]) {
            std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", qPrintable(sc.landscape), qPrintable(sc.strategy),
                        qPrintable(fmt(sc.shareWithin5)), qPrintable(fmt(sc.shareWithin1)),
                        qPrintable(std::isfinite(sc.medianEvalsTo5) ? QString::number(sc.medianEvalsTo5) : QStringLiteral("-")),
                        qPrintable(fmt(sc.meanBestOverOptimum, 3)), qPrintable(fmt(sc.methodologyScore)),
                        qPrintable(fmt(sc.meanProposalMs, 3)));
        }
        std::printf("\n| strategy (mean over %d landscapes) | within5 | within1 | median of evals-to-5%% | best/opt | P |\n"
                    "|---|---|---|---|---|---|\n", int(landscapes.size()));
        for (const QString& s : strategies) {
            const auto& v = byStrategy.at(s.trimmed());
            double w5 = 0, w1 = 0, ratio = 0, score = 0;
            std::vector<double> evals;
            for (const StrategyScore& sc : v) {
                w5 += sc.shareWithin5 / v.size();
                w1 += sc.shareWithin1 / v.size();
                ratio += sc.meanBestOverOptimum / v.size();
                score += sc.methodologyScore / v.size();
                evals.push_back(sc.medianEvalsTo5);
            }
            std::sort(evals.begin(), evals.end());
            const size_t m = evals.size();
            const double med = m % 2 ? evals[m / 2] : 0.5 * (evals[m / 2 - 1] + evals[m / 2]);
            std::printf("| %s | %s | %s | %s | %s | %s |\n", qPrintable(s.trimmed()), qPrintable(fmt(w5)), qPrintable(fmt(w1)),
                        qPrintable(std::isfinite(med) ? QString::number(med) : QStringLiteral("-")),
                        qPrintable(fmt(ratio, 3)), qPrintable(fmt(score)));
        }
    }
    return 0;
}

} // namespace dv

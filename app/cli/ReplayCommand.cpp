// `dejavu-tune replay`: one search on a recorded dataset, every evaluation a JSON line on stdout
// (the interface strategy comparisons read).
#include "Cli.h"

#include "CliSupport.h"
#include "device/DeviceRegistry.h"
#include "search/StrategyFactory.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QCommandLineParser>
#include <cstdio>

namespace dv {

using namespace cli;

int Cli::replay(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("dataset"), QStringLiteral("Kernel Tuner cache file, or a built-in replay id."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("strategy"), QStringLiteral("Search strategy: %1 (default %2).").arg(StrategyFactory::names().join(QStringLiteral(", ")), StrategyFactory::defaultName()),
                 QStringLiteral("NAME"), StrategyFactory::defaultName()});
    p.addOption({QStringLiteral("budget"), QStringLiteral("Number of evaluations."), QStringLiteral("N")});
    p.addOption({QStringLiteral("seed"), QStringLiteral("Random seed (default %1).").arg(StrategyFactory::kDefaultSeed), QStringLiteral("S"),
                 QString::number(StrategyFactory::kDefaultSeed)});
    if (!parse(p, args, QStringLiteral("Run one search on a recorded dataset; print each evaluation as a JSON line.")))
        return kBadInput;
    for (const char* required : {"dataset", "budget"}) {
        if (!p.isSet(QLatin1String(required))) {
            err(QStringLiteral("--%1 is required").arg(QLatin1String(required)));
            return kBadInput;
        }
    }
    qint64 budget = 0, seed = qint64(StrategyFactory::kDefaultSeed);
    if (!intOption(p, QStringLiteral("budget"), 1, budget) || !intOption(p, QStringLiteral("seed"), 0, seed))
        return kBadInput;
    auto strategy = StrategyFactory::create(p.value(QStringLiteral("strategy")));
    if (!strategy) {
        err(QStringLiteral("--strategy: ") + strategy.error());
        return kBadInput;
    }
    auto opened = DeviceRegistry::open(p.value(QStringLiteral("dataset")));
    if (!opened) {
        err(opened.error());
        return kBadInput;
    }
    std::shared_ptr<Device> device(std::move(opened.value()));
    // A private in-memory store: the replay interface compares strategies, so nothing may be
    // answered from earlier sessions.
    auto store = ResultStore::open(QStringLiteral(":memory:"));
    if (!store) {
        err(store.error());
        return kFailed;
    }
    auto session = Session::create(*store.value(), device,
                                   SessionOptions{p.value(QStringLiteral("strategy")), {}, quint64(seed), int(budget), 0});
    if (!session) {
        err(session.error());
        return kFailed;
    }
    const ConfigSpace space = device->workload().space;
    bool anyOk = false;
    QObject::connect(session.value().get(), &Session::trialFinished, [&space, &anyOk](const Trial& t) {
        anyOk = anyOk || t.measurement.isOk();
        printTrialLine(space, t);
    });
    auto ended = session.value()->run();
    std::fflush(stdout);
    if (!ended) {
        err(ended.error());
        return kFailed;
    }
    if (!anyOk) {
        err(QStringLiteral("no configuration succeeded"));
        return kNoResult;
    }
    return kOk;
}

} // namespace dv

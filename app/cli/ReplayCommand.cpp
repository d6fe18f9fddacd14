// `dejavu-tune replay`: one search on a recorded dataset, every evaluation a JSON line on stdout
// (the interface strategy comparisons read).
#include "Cli.h"

#include "CliSupport.h"
#include "device/DeviceRegistry.h"
#include "search/StrategyFactory.h"
#include "session/ResultStore.h"
#include "session/SessionLaunch.h"
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
    p.addOption({QStringLiteral("slots"), QStringLiteral("Evaluate on K slots at once (K replays, each pausing --latency-ms)."), QStringLiteral("K")});
    p.addOption({QStringLiteral("latency-ms"), QStringLiteral("Pause this long per evaluation, as a GPU would."), QStringLiteral("MS")});
    if (!parse(p, args, QStringLiteral("Run one search on a recorded dataset; print each evaluation as a JSON line.")))
        return kBadInput;
    for (const char* required : {"dataset", "budget"}) {
        if (!p.isSet(QLatin1String(required))) {
            err(QStringLiteral("--%1 is required").arg(QLatin1String(required)));
            return kBadInput;
        }
    }
    qint64 budget = 0, seed = qint64(StrategyFactory::kDefaultSeed), slotCount = 0, latency = 0;
    if (!intOption(p, QStringLiteral("budget"), 1, budget) || !intOption(p, QStringLiteral("seed"), 0, seed)
        || !intOption(p, QStringLiteral("slots"), 1, slotCount) || !intOption(p, QStringLiteral("latency-ms"), 0, latency))
        return kBadInput;
    auto strategy = StrategyFactory::create(p.value(QStringLiteral("strategy")));
    if (!strategy) {
        err(QStringLiteral("--strategy: ") + strategy.error());
        return kBadInput;
    }
    LaunchRequest request;
    request.deviceId = p.value(QStringLiteral("dataset"));
    request.slotCount = int(slotCount);
    request.simulatedLatencyMs = int(latency);
    auto groups = SessionLaunch::openPool(request);
    if (!groups) {
        err(groups.error());
        return kBadInput;
    }
    if (groups->size() > 1) {
        err(QStringLiteral("--dataset '%1' opened GPUs of %2 types: %3; one session never mixes GPUs (`tune` runs one session per type)")
                .arg(request.deviceId).arg(groups->size()).arg(SessionLaunch::describe(groups.value())));
        return kBadInput;
    }
    const SessionLaunch::SlotGroup& slotDevices = groups->front();
    std::shared_ptr<Device> device = slotDevices.front();
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
    for (size_t i = 1; i < slotDevices.size(); ++i) {
        if (auto added = session.value()->addSlot(slotDevices[i]); !added) {
            err(added.error());
            return kBadInput;
        }
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

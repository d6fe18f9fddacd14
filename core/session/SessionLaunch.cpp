#include "session/SessionLaunch.h"

#include "base/Format.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "search/StrategyFactory.h"
#include "session/WarmStart.h"
#include "space/SpaceRestriction.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <algorithm>

namespace dv {

QStringList SessionLaunch::keptOnResume()
{
    return {QStringLiteral("hot-cache"), QStringLiteral("cuda-graph"), QStringLiteral("remeasure"),
            QStringLiteral("remeasure-rounds"), QStringLiteral("space")};
}

Result<QString> SessionLaunch::checkResume(const LaunchRequest& request, ResultStore& store)
{
    const qint64 id = request.resumeId;
    auto record = store.session(id);
    if (!record)
        return Error{record.error()};
    // The budget is the session's total: one below what is stored would end it at once.
    const int budget = request.options.maxEvaluations;
    if (budget > 0 && budget <= record->trialCount)
        return Error{QStringLiteral("--budget %1: session %2 already has %3; --budget is the session's total, so give more than %4")
                         .arg(budget).arg(id).arg(Format::count(record->trialCount, QStringLiteral("evaluation"))).arg(record->trialCount)};
    // How a session times and re-measures is part of it; a resumed run keeps it.
    for (const QString& fixed : keptOnResume()) {
        if (request.givenOptions.contains(fixed))
            return Error{QStringLiteral("--%1 cannot change a stored session (session %2 keeps its own); start a new session instead")
                             .arg(fixed).arg(id)};
    }
    // A stored device id is data: one that starts a process runs only when the user gives it
    // again (docs/worker-protocol.md, "Device ids from files").
    if (request.deviceId.isEmpty() && DeviceRegistry::startsProcess(record->device.id))
        return Error{QStringLiteral("session %1 ran on a worker started by this command line, read from %2:\n  %3\n"
                                    "it is not run unless you give it again: --device '%4'")
                         .arg(id).arg(request.databasePath, record->device.id,
                                      QString(record->device.id).replace(QLatin1Char('\''), QStringLiteral("'\\''")))};
    return request.deviceId.isEmpty() ? record->device.id : request.deviceId;
}

Result<void> SessionLaunch::applySpace(const LaunchRequest& request, const Device& device, SessionOptions& options)
{
    const QString& spaceFile = request.spaceFile;
    if (!spaceFile.isEmpty()) {
        QFile f(spaceFile);
        if (!f.open(QIODevice::ReadOnly))
            return Error{QStringLiteral("%1: cannot read the space file: %2").arg(spaceFile, f.errorString())};
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            return Error{QStringLiteral("%1: not a JSON object (%2 at offset %3)")
                             .arg(spaceFile, parseError.errorString()).arg(parseError.offset)};
        options.space = doc.object();
        options.spaceSource = spaceFile;
    }
    if (options.space.isEmpty())
        return {};
    if (auto checked = SpaceRestriction::apply(device.workload().space, options.space, options.spaceSource); !checked)
        return Error{checked.error()};
    return {};
}

Result<void> SessionLaunch::configure(Device& device, const LaunchRequest& request)
{
    // A resumed session sets its stored timing itself (Session::resume).
    if (auto timed = device.setTiming(request.options.timing); request.resumeId == 0 && !timed)
        return Error{timed.error()};
    if (request.simulatedLatencyMs > 0) {
        if (auto* replay = dynamic_cast<ReplayDevice*>(&device))
            replay->setSimulatedLatencyMs(request.simulatedLatencyMs);
    }
    return {};
}

Result<std::shared_ptr<Device>> SessionLaunch::openDevice(const QString& deviceId, const LaunchRequest& request,
                                                         const std::atomic<bool>* interrupt)
{
    auto opened = DeviceRegistry::open(deviceId, interrupt);
    if (!opened)
        return Error{opened.error()};
    std::shared_ptr<Device> device(std::move(opened.value()));
    if (auto configured = configure(*device, request); !configured)
        return Error{configured.error()};
    return device;
}

Result<SessionOptions> SessionLaunch::sessionOptions(const LaunchRequest& request, const Device& device)
{
    SessionOptions options = request.options;
    if (auto narrowed = applySpace(request, device, options); !narrowed)
        return Error{narrowed.error()};
    if (!request.warmStartDeviceId.isEmpty()) {
        auto prior = WarmStart::fromRecordedDevice(request.warmStartDeviceId);
        if (!prior)
            return Error{QStringLiteral("warm start: %1").arg(prior.error())};
        options.strategyOptions = WarmStart::withPrior(options.strategyOptions, prior.value());
    }
    return options;
}

Result<std::vector<SessionLaunch::SlotGroup>> SessionLaunch::openPool(const LaunchRequest& request,
                                                                       const std::atomic<bool>* interrupt)
{
    return openGroups(request.deviceId, request, interrupt);
}

Result<std::vector<SessionLaunch::SlotGroup>> SessionLaunch::openGroups(const QString& deviceId, const LaunchRequest& request,
                                                                        const std::atomic<bool>* interrupt)
{
    if (deviceId.isEmpty())
        return Error{QStringLiteral("--device is required (see `dejavu-tune devices`)")};
    auto opened = DeviceRegistry::openSlots(deviceId, request.slotCount, interrupt);
    if (!opened)
        return Error{opened.error()};
    std::vector<SlotGroup> groups;
    for (auto& one : opened.value()) {
        std::shared_ptr<Device> device(std::move(one));
        if (auto configured = configure(*device, request); !configured)
            return Error{configured.error()};
        const DeviceInfo info = device->info();
        auto same = std::find_if(groups.begin(), groups.end(), [&](const SlotGroup& g) {
            const DeviceInfo first = g.front()->info();
            return first.name == info.name && first.toolchain == info.toolchain;
        });
        if (same == groups.end())
            groups.push_back({device});
        else
            same->push_back(device);
    }
    return groups;
}

QString SessionLaunch::describe(const std::vector<SlotGroup>& groups)
{
    QStringList parts;
    for (const SlotGroup& g : groups)
        parts.append(QStringLiteral("%1 (%2)").arg(g.front()->info().name, Format::count(int(g.size()), QStringLiteral("slot"))));
    return parts.join(QStringLiteral(", "));
}

Result<LaunchedSession> SessionLaunch::openOn(const LaunchRequest& request, const SlotGroup& group)
{
    LaunchedSession launched;
    launched.deviceId = request.deviceId;
    launched.device = group.front();
    launched.slotDevices = group;
    auto checked = sessionOptions(request, *launched.device);
    if (!checked)
        return Error{checked.error()};
    // Only now, with every input checked, may the database be created.
    QDir().mkpath(QFileInfo(request.databasePath).absolutePath());
    auto store = ResultStore::open(request.databasePath);
    if (!store)
        return Error{store.error()};
    launched.store = std::move(store.value());
    auto session = Session::create(*launched.store, launched.device, checked.value());
    if (!session)
        return Error{session.error()};
    launched.session = std::move(session.value());
    if (auto added = launched.addSlots(); !added)
        return Error{added.error()};
    return Result<LaunchedSession>(std::move(launched));
}

Result<void> LaunchedSession::addSlots()
{
    for (size_t i = 1; i < slotDevices.size(); ++i) {
        if (auto added = session->addSlot(slotDevices[i]); !added)
            return added;
    }
    return {};
}

Result<void> SessionLaunch::checkNew(const LaunchRequest& request)
{
    if (request.deviceId.isEmpty())
        return Error{QStringLiteral("--device is required (see `dejavu-tune devices`)")};
    if (auto strategy = StrategyFactory::create(request.options.strategy); !strategy)
        return Error{QStringLiteral("--strategy: ") + strategy.error()};
    return {};
}

Result<LaunchedSession> SessionLaunch::open(const LaunchRequest& request, const std::atomic<bool>* interrupt)
{
    const bool resume = request.resumeId > 0;
    if (!resume) {
        if (auto checked = checkNew(request); !checked)
            return Error{checked.error()};
        auto groups = openPool(request, interrupt);
        if (!groups)
            return Error{groups.error()};
        if (groups->size() > 1)
            return Error{QStringLiteral("device '%1' opened GPUs of %2 types: %3; one session never mixes GPUs (`tune` runs one "
                                        "session per type)")
                             .arg(request.deviceId).arg(groups->size()).arg(describe(groups.value()))};
        return openOn(request, groups->front());
    }
    LaunchedSession launched;
    // A mistyped path must not create an empty database.
    if (!QFileInfo::exists(request.databasePath))
        return Error{QStringLiteral("%1: no such result database").arg(request.databasePath)};
    auto store = ResultStore::open(request.databasePath);
    if (!store)
        return Error{store.error()};
    launched.store = std::move(store.value());
    auto deviceId = checkResume(request, *launched.store);
    if (!deviceId)
        return Error{deviceId.error()};
    launched.deviceId = deviceId.value();
    auto groups = openGroups(launched.deviceId, request, interrupt);
    if (!groups)
        return Error{groups.error()};
    // A resumed session goes on with the slots of its own GPU type; Session::resume names a mismatch.
    auto record = launched.store->session(request.resumeId);
    if (!record)
        return Error{record.error()};
    SlotGroup group = groups->front();
    for (const SlotGroup& g : groups.value()) {
        if (g.front()->info().name == record->device.name)
            group = g;
    }
    launched.device = group.front();
    launched.slotDevices = group;
    auto session = Session::resume(*launched.store, launched.device, request.resumeId, request.options.maxEvaluations,
                                   request.options.maxSeconds);
    if (!session)
        return Error{session.error()};
    launched.session = std::move(session.value());
    if (auto added = launched.addSlots(); !added)
        return Error{added.error()};
    return Result<LaunchedSession>(std::move(launched));
}

} // namespace dv

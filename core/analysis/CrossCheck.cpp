#include "analysis/CrossCheck.h"

#include "session/Session.h"
#include "session/SessionLaunch.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace dv {

namespace {

/// The `count` fastest ok configurations of a landscape (of a session: those it measured), fastest first.
std::vector<qint64> fastest(const Landscape& l, int count)
{
    std::vector<qint64> ok;
    for (qint64 k = 0; k < l.size(); ++k)
        if (l.isMeasured(k) && l.isOk(k))
            ok.push_back(k);
    std::stable_sort(ok.begin(), ok.end(), [&](qint64 a, qint64 b) { return l.objectiveMs[size_t(a)] < l.objectiveMs[size_t(b)]; });
    if (int(ok.size()) > count)
        ok.resize(size_t(std::max(0, count)));
    return ok;
}

QString platform(const DeviceInfo& d) { return QStringLiteral("%1 (%2)").arg(d.name, d.toolchain); }

} // namespace

Result<QVector<CrossCheckTarget>> CrossCheck::plan(ResultStore& store, const std::vector<Landscape>& landscapes,
                                                   const QList<qint64>& sessionIds, int count)
{
    if (sessionIds.size() != int(landscapes.size()))
        return Error{QStringLiteral("cross-check: %1 landscapes but %2 session ids").arg(landscapes.size()).arg(sessionIds.size())};
    if (count < 1)
        return Error{QStringLiteral("cross-check: the number of best configurations to measure must be at least 1, got %1").arg(count)};
    QVector<CrossCheckTarget> targets;
    for (size_t j = 0; j < landscapes.size(); ++j) {
        const Landscape& lj = landscapes[j];
        if (sessionIds[int(j)] <= 0 || !lj.isPartial())
            continue; // a recorded dataset measured everything
        CrossCheckTarget t;
        t.column = int(j);
        t.sessionId = sessionIds[int(j)];
        t.name = lj.name;
        QSet<QString> queued;
        for (size_t i = 0; i < landscapes.size(); ++i) {
            if (i == j)
                continue;
            bool offered = false;
            for (qint64 k : fastest(landscapes[i], count)) {
                const QJsonObject config = landscapes[i].space.config(k);
                const qint64 there = lj.space.indexOf(config);
                if (there < 0 || lj.isMeasured(there))
                    continue; // not in this session's space, or already known there
                const QString key = lj.space.key(there);
                if (queued.contains(key))
                    continue;
                queued.insert(key);
                t.configs.append(config);
                offered = true;
            }
            if (offered)
                t.from.append(landscapes[i].name);
        }
        if (t.configs.isEmpty())
            continue;
        auto record = store.session(t.sessionId);
        if (!record)
            return Error{QStringLiteral("session %1: %2").arg(t.sessionId).arg(record.error())};
        t.storedDevice = record->device;
        targets.append(t);
    }
    return targets;
}

Result<void> CrossCheck::checkDevice(ResultStore& store, const CrossCheckTarget& target, Device& device, const QString& deviceId)
{
    auto record = store.session(target.sessionId);
    if (!record)
        return Error{QStringLiteral("session %1: %2").arg(target.sessionId).arg(record.error())};
    // Timed as the session was timed, or the two sets of measurements are not comparable.
    if (auto timed = device.setTiming(record->timing); !timed)
        return Error{QStringLiteral("cross-check of session %1 on '%2': %3").arg(target.sessionId).arg(deviceId, timed.error())};
    const DeviceInfo info = device.info();
    const Workload& w = device.workload();
    QStringList differs;
    if (w.kernel != record->kernel)
        differs.append(QStringLiteral("kernel '%1' here, '%2' in the session").arg(w.kernel, record->kernel));
    if (w.problem != record->problem)
        differs.append(QStringLiteral("problem %1 here, %2 in the session").arg(w.problem, record->problem));
    if (info.name != record->device.name || info.toolchain != record->device.toolchain)
        differs.append(QStringLiteral("%1 here, %2 in the session").arg(platform(info), platform(record->device)));
    if (!differs.isEmpty())
        return Error{QStringLiteral("cross-check of session %1: device '%2' is not the platform the session measured: %3 "
                                    "(the session ran on '%4')")
                         .arg(target.sessionId).arg(deviceId, differs.join(QStringLiteral("; ")), record->device.id)};
    const bool anyInSpace = std::any_of(target.configs.begin(), target.configs.end(),
                                        [&](const QJsonObject& c) { return w.space.indexOf(c) >= 0; });
    if (!anyInSpace)
        return Error{QStringLiteral("cross-check of session %1: none of the %2 configurations is in the space of device '%3'")
                         .arg(target.sessionId).arg(target.configs.size()).arg(deviceId)};
    return {};
}

Result<std::vector<std::shared_ptr<Device>>> CrossCheck::openDevices(ResultStore& store, const QVector<CrossCheckTarget>& targets,
                                                                     const QHash<qint64, QString>& devices,
                                                                     const std::atomic<bool>* interrupt)
{
    QStringList lacking;
    for (const CrossCheckTarget& t : targets)
        if (devices.value(t.sessionId).trimmed().isEmpty())
            lacking.append(QStringLiteral("session %1: give the device of its GPU (%2)").arg(t.sessionId).arg(describe(t)));
    if (!lacking.isEmpty())
        return Error{QStringLiteral("cross-check: nothing measured; a stored device is shown, never run:\n  %1").arg(lacking.join(QStringLiteral("\n  ")))};
    std::vector<std::shared_ptr<Device>> opened;
    for (const CrossCheckTarget& t : targets) {
        const QString id = devices.value(t.sessionId).trimmed();
        auto device = SessionLaunch::openDevice(id, LaunchRequest{}, interrupt);
        if (!device)
            return Error{QStringLiteral("cross-check of session %1 on '%2': %3").arg(t.sessionId).arg(id, device.error())};
        if (auto ok = checkDevice(store, t, *device.value(), id); !ok)
            return Error{ok.error()};
        opened.push_back(device.value());
    }
    return opened;
}

Result<qint64> CrossCheck::run(ResultStore& store, const CrossCheckTarget& target, std::shared_ptr<Device> device,
                               const QString& deviceId, const std::function<void(Session*)>& running)
{
    if (auto ok = checkDevice(store, target, *device, deviceId); !ok)
        return Error{ok.error()};
    auto record = store.session(target.sessionId);
    if (!record)
        return Error{record.error()};
    QJsonArray seeds;
    for (const QJsonObject& c : target.configs)
        seeds.append(c);
    SessionOptions options;
    options.strategy = QStringLiteral("refresh");
    options.strategyOptions = {{QStringLiteral("seeds"), seeds},
                               {QStringLiteral("crossCheck"), true},
                               {QStringLiteral("crossCheckOf"), double(target.sessionId)}};
    options.seed = 1;
    options.maxEvaluations = int(target.configs.size());
    options.timing = record->timing;
    options.remeasureTop = 0; // a handful of configurations, each measured as the session measured its own
    auto created = Session::create(store, device, options);
    if (!created)
        return Error{created.error()};
    Session& session = *created.value();
    if (running)
        running(&session);
    auto ended = session.run();
    if (running)
        running(nullptr);
    if (!ended)
        return Error{QStringLiteral("cross-check of session %1 (session %2): %3").arg(target.sessionId).arg(session.id()).arg(ended.error())};
    return session.id();
}

QString CrossCheck::describe(const CrossCheckTarget& target)
{
    return QStringLiteral("%1: %2 configuration(s) of %3 never measured there (the session ran on '%4')")
        .arg(target.name).arg(target.configs.size()).arg(target.from.join(QStringLiteral(", ")), target.storedDevice.id);
}

} // namespace dv

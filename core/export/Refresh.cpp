#include "export/Refresh.h"

#include "base/Format.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "export/TuningLadder.h"
#include "session/BestTrial.h"
#include "session/SessionLaunch.h"
#include "session/StoredSession.h"
#include "session/WarmStart.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace dv {

namespace {

QStringList parameterNames(const ConfigSpace& space)
{
    QStringList names;
    for (const Parameter& p : space.parameters())
        names.append(p.name);
    std::sort(names.begin(), names.end());
    return names;
}

QStringList configNames(const QVector<Trial>& trials)
{
    QStringList names = trials.isEmpty() ? QStringList() : trials.first().config.keys();
    std::sort(names.begin(), names.end());
    return names;
}

QJsonValue number(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue();
}

} // namespace

Result<QVector<RefreshSource>> Refresh::fromStore(ResultStore& store, const QString& storeName, const QList<qint64>& ids,
                                                  int keyPosition)
{
    if (ids.isEmpty())
        return Error{QStringLiteral("--session: no session given")};
    QVector<RefreshSource> sources;
    for (qint64 id : ids) {
        // The stored device id is data: StoredSession opens a recorded landscape or nothing.
        auto stored = StoredSession::open(store, id);
        if (!stored)
            return Error{stored.error().contains(storeName) ? stored.error()
                                                            : QStringLiteral("%1: session %2: %3").arg(storeName).arg(id).arg(stored.error())};
        RefreshSource s;
        s.origin = QStringLiteral("%1: session %2").arg(storeName).arg(id);
        s.record = stored->record;
        s.trials = stored->trials;
        if (s.trials.isEmpty())
            return Error{QStringLiteral("%1: the session has no trials to refresh from").arg(s.origin)};
        if (auto key = TuningLadder::problemValue(s.record.problem, keyPosition)) {
            s.key = key.value();
            s.hasKey = true;
        }
        sources.append(s);
    }
    return sources;
}

Result<QVector<RefreshSource>> Refresh::fromRecorded(const QStringList& ids, int keyPosition)
{
    if (ids.isEmpty())
        return Error{QStringLiteral("--dataset: no dataset given")};
    QVector<RefreshSource> sources;
    for (const QString& id : ids) {
        auto device = DeviceRegistry::openRecorded(id);
        if (!device)
            return Error{QStringLiteral("--dataset %1: %2").arg(id, device.error())};
        const ReplayDevice& d = *device.value();
        RefreshSource s;
        s.origin = id;
        s.record.device = d.info();
        s.record.kernel = d.workload().kernel;
        s.record.problem = d.workload().problem;
        const ConfigSpace& space = d.workload().space;
        for (qint64 i = 0; i < space.size(); ++i) {
            Trial t;
            t.sequence = int(i + 1);
            t.spaceIndex = i;
            t.config = space.config(i);
            t.configKey = space.key(i);
            t.measurement = d.cache().measurements[size_t(i)];
            s.trials.append(t);
        }
        if (auto key = TuningLadder::problemValue(s.record.problem, keyPosition)) {
            s.key = key.value();
            s.hasKey = true;
        }
        sources.append(s);
    }
    return sources;
}

Result<QVector<RefreshSource>> Refresh::fromBundle(const Bundle& bundle, const QString& path, const QString& gpu)
{
    const QVector<BundleEntry>& entries = bundle.manifest.entries;
    if (entries.isEmpty())
        return Error{QStringLiteral("%1: manifest.json: entries: the bundle holds no session to refresh from").arg(path)};
    QStringList gpus;
    for (const BundleEntry& e : entries)
        if (!gpus.contains(e.gpu))
            gpus.append(e.gpu);
    if (!gpu.isEmpty() && !gpus.contains(gpu))
        return Error{QStringLiteral("%1: no session of GPU '%2' (the bundle holds: %3)").arg(path, gpu, gpus.join(QStringLiteral(", ")))};
    if (gpu.isEmpty() && gpus.size() > 1)
        return Error{QStringLiteral("%1: the bundle holds sessions of %2 GPUs (%3); say which with --from-gpu")
                         .arg(path).arg(gpus.size()).arg(gpus.join(QStringLiteral(", ")))};
    QVector<RefreshSource> sources;
    QSet<qint64> keys;
    for (int i = 0; i < entries.size(); ++i) {
        const BundleEntry& e = entries[i];
        if (!gpu.isEmpty() && e.gpu != gpu)
            continue;
        const QString where = QStringLiteral("%1: manifest.json: entries[%2]").arg(path).arg(i);
        if (!bundle.members.contains(e.sessionMember))
            return Error{QStringLiteral("%1.session: no member '%2'").arg(where, e.sessionMember)};
        auto parsed = Bundle::parseSession(bundle.members.value(e.sessionMember), e.sessionMember);
        if (!parsed)
            return Error{QStringLiteral("%1: %2").arg(path, parsed.error())};
        if (keys.contains(e.key))
            return Error{QStringLiteral("%1.key: key %2 appears twice for GPU '%3'").arg(where).arg(e.key).arg(e.gpu)};
        keys.insert(e.key);
        RefreshSource s;
        s.key = e.key;
        s.hasKey = true;
        s.origin = QStringLiteral("%1: %2").arg(path, e.sessionMember);
        s.record = parsed->first;
        s.trials = parsed->second;
        if (s.trials.isEmpty())
            return Error{QStringLiteral("%1: the session has no trials to refresh from").arg(s.origin)};
        sources.append(s);
    }
    return sources;
}

Result<QStringList> Refresh::deviceIds(const QVector<RefreshSource>& sources, const QString& tmpl, const QString& keyParam)
{
    const QString named = keyParam.isEmpty() ? QString() : QLatin1Char('{') + keyParam + QLatin1Char('}');
    const bool templated = tmpl.contains(QStringLiteral("{key}")) || (!named.isEmpty() && tmpl.contains(named));
    if (!templated && sources.size() > 1)
        return Error{QStringLiteral("--device: %1 keys to refresh but '%2' holds no {key}%3 (one device per key)")
                         .arg(sources.size()).arg(tmpl, named.isEmpty() ? QString() : QStringLiteral(" or ") + named)};
    QStringList ids;
    for (int i = 0; i < sources.size(); ++i) {
        const RefreshSource& s = sources[i];
        if (!templated) {
            ids.append(tmpl);
            continue;
        }
        if (!s.hasKey)
            return Error{QStringLiteral("%1: problem '%2' has no key at the key position, for the device template").arg(s.origin, s.record.problem)};
        for (int j = 0; j < i; ++j)
            if (sources[j].key == s.key)
                return Error{QStringLiteral("key %1 twice: %2 and %3").arg(s.key).arg(sources[j].origin, s.origin)};
        QString id = tmpl;
        id.replace(QStringLiteral("{key}"), QString::number(s.key));
        if (!named.isEmpty())
            id.replace(named, QString::number(s.key));
        ids.append(id);
    }
    return ids;
}

Result<RefreshPlan> Refresh::prepare(const QVector<RefreshSource>& sources, const QString& deviceTemplate,
                                     const QString& keyParam, const std::atomic<bool>* interrupt)
{
    auto ids = deviceIds(sources, deviceTemplate, keyParam);
    if (!ids)
        return Error{ids.error()};
    RefreshPlan plan;
    plan.sources = sources;
    plan.deviceIds = ids.value();
    LaunchRequest request; // default timing, no replay latency
    for (int i = 0; i < sources.size(); ++i) {
        auto d = SessionLaunch::openDevice(plan.deviceIds[i], request, interrupt);
        if (!d)
            return Error{QStringLiteral("%1: %2").arg(sources[i].origin, d.error())};
        if (auto match = checkMatch(sources[i], *d.value(), plan.deviceIds[i]); !match)
            return Error{match.error()};
        plan.devices.push_back(d.value());
    }
    return plan;
}

Result<void> Refresh::checkMatch(const RefreshSource& source, const Device& device, const QString& deviceId)
{
    const Workload& w = device.workload();
    const QStringList a = configNames(source.trials);
    const QStringList b = parameterNames(w.space);
    const QString both = QStringLiteral("%1 tuned kernel '%2' (%3) on %4, but device '%5' runs kernel '%6' (%7) on %8")
                             .arg(source.origin, source.record.kernel, source.record.problem, source.record.device.name,
                                  deviceId, w.kernel, w.problem, device.info().name);
    if (a != b)
        return Error{QStringLiteral("%1: the parameters differ (%2 against %3); refresh a session of the same kernel")
                         .arg(both, a.join(QLatin1Char(',')), b.join(QLatin1Char(',')))};
    for (const Trial& t : source.trials)
        if (w.space.indexOf(t.config) >= 0)
            return {};
    return Error{QStringLiteral("%1: none of its %2 configurations is in the device's space")
                     .arg(both).arg(source.trials.size())};
}

QVector<Trial> Refresh::bestOf(const QVector<Trial>& trials, int count)
{
    QVector<Trial> ok;
    QSet<QString> seen;
    for (const Trial& t : trials)
        if (BestTrial::isExportable(t.measurement))
            ok.append(t);
    // Re-measured configurations first (their median is the fair figure), then by time: BestTrial's rule.
    std::stable_sort(ok.begin(), ok.end(), [](const Trial& x, const Trial& y) {
        if (BestTrial::isRemeasured(x) != BestTrial::isRemeasured(y))
            return BestTrial::isRemeasured(x);
        return BestTrial::rankingMs(x) < BestTrial::rankingMs(y);
    });
    QVector<Trial> out;
    for (const Trial& t : ok) {
        if (out.size() >= count)
            break;
        const QString key = ConfigSpace::keyOf(t.config);
        if (!seen.contains(key)) {
            seen.insert(key);
            out.append(t);
        }
    }
    return out;
}

QJsonObject Refresh::strategyOptions(const RefreshSource& source, const QVector<RefreshSource>& ladder,
                                     const RefreshSettings& settings)
{
    QJsonArray seeds;
    for (const Trial& t : bestOf(source.trials, settings.seedCount))
        seeds.append(t.config);
    // The nearest other keys on a log scale, as the ladder's warm start picks them.
    QVector<const RefreshSource*> others;
    if (source.hasKey && source.key > 0) {
        for (const RefreshSource& o : ladder)
            if (o.hasKey && o.key > 0 && o.key != source.key)
                others.append(&o);
        std::stable_sort(others.begin(), others.end(), [&](const RefreshSource* x, const RefreshSource* y) {
            return std::abs(std::log2(double(x->key) / double(source.key))) < std::abs(std::log2(double(y->key) / double(source.key)));
        });
    }
    for (int i = 0; i < others.size() && i < settings.neighbourSeeds && !settings.crossCheck; ++i)
        for (const Trial& t : bestOf(others[i]->trials, 1))
            seeds.append(t.config);
    QJsonObject o{{QStringLiteral("seeds"), seeds},
                  {QStringLiteral("patience"), settings.patience},
                  {QStringLiteral("tolerance"), settings.tolerance},
                  {QStringLiteral("agreement"), settings.agreement}};
    if (settings.coldPatience >= 0)
        o.insert(QStringLiteral("coldPatience"), settings.coldPatience);
    if (!settings.bayesOptions.isEmpty())
        o.insert(QStringLiteral("bayes"), settings.bayesOptions);
    if (settings.crossCheck)
        o.insert(QStringLiteral("crossCheck"), true);
    return WarmStart::withPrior(o, WarmStart::fromTrials(source.trials));
}

SessionOptions Refresh::sessionOptions(const RefreshSource& source, const QVector<RefreshSource>& ladder,
                                       const RefreshSettings& settings)
{
    SessionOptions options;
    options.strategy = QStringLiteral("refresh");
    options.strategyOptions = strategyOptions(source, ladder, settings);
    options.seed = settings.seed;
    options.maxEvaluations = settings.budget;
    options.maxSeconds = settings.maxSeconds;
    return options;
}

Result<RefreshRow> Refresh::run(ResultStore& store, std::shared_ptr<Device> device, const QString& deviceId,
                                const RefreshSource& source, const QVector<RefreshSource>& ladder,
                                const RefreshSettings& settings, const std::function<void(Session*)>& running)
{
    if (auto match = checkMatch(source, *device, deviceId); !match)
        return Error{match.error()};
    const SessionOptions options = sessionOptions(source, ladder, settings);
    auto created = Session::create(store, device, options);
    if (!created)
        return Error{created.error()};
    Session& session = *created.value();
    QElapsedTimer clock;
    clock.start();
    if (running)
        running(&session);
    auto ended = session.run();
    if (running)
        running(nullptr);
    if (!ended)
        return Error{QStringLiteral("%1 (session %2): %3").arg(source.origin).arg(session.id()).arg(ended.error())};

    RefreshRow row;
    row.key = source.key;
    row.hasKey = source.hasKey;
    row.origin = source.origin;
    row.deviceId = deviceId;
    row.sessionId = session.id();
    row.seconds = double(clock.nsecsElapsed()) / 1e9;
    auto trials = store.trials(session.id());
    if (!trials)
        return Error{trials.error()};
    row.evaluations = trials->size();
    const QVector<Trial> oldBest = bestOf(source.trials, 1);
    if (!oldBest.isEmpty()) {
        row.oldBestConfig = oldBest.first().config;
        row.oldBestOnAMs = BestTrial::rankingMs(oldBest.first());
        const QString key = ConfigSpace::keyOf(row.oldBestConfig);
        for (const Trial& t : trials.value())
            if (t.configKey == key)
                row.oldBestOnB = BestTrial::reported(t);
    }
    row.newBest = BestTrial::of(trials.value());
    row.changed = row.newBest && ConfigSpace::keyOf(row.newBest->config) != ConfigSpace::keyOf(row.oldBestConfig);
    // What the strategy decided, read back from the stored history (the same rule, the same seeds).
    RefreshStrategy strategy(options.strategyOptions);
    strategy.initialize(session.space(), options.seed);
    SearchHistory history(session.space().size());
    for (const Trial& t : trials.value())
        history.add(Observation{session.space().indexOf(t.config), t.measurement.status, t.measurement.objectiveMs});
    row.verdict = strategy.verdict(history);
    row.ended = ended.value() == QLatin1String("exhausted") && settings.crossCheck ? QStringLiteral("cross-checked")
        : ended.value() == QLatin1String("exhausted") && row.verdict.confirmed  ? QStringLiteral("confirmed")
                                                                                : ended.value();
    return row;
}

QString Refresh::table(const QVector<RefreshRow>& rows)
{
    QString text = QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8  %9\n")
                       .arg(QStringLiteral("key"), 8).arg(QStringLiteral("session"), 7).arg(QStringLiteral("A's best on A"), 13)
                       .arg(QStringLiteral("A's best here"), 13).arg(QStringLiteral("new best"), 10).arg(QStringLiteral("evals"), 5)
                       .arg(QStringLiteral("seconds"), 8).arg(QStringLiteral("changed"), -7).arg(QStringLiteral("mode / end"));
    for (const RefreshRow& r : rows) {
        const QString onB = !r.oldBestOnB ? QStringLiteral("-")
            : r.oldBestOnB->isOk() ? Format::time(r.oldBestOnB->objectiveMs) : statusName(r.oldBestOnB->status);
        text += QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8  %9 / %10\n")
                    .arg(r.hasKey ? QString::number(r.key) : QStringLiteral("-"), 8).arg(r.sessionId, 7)
                    .arg(Format::time(r.oldBestOnAMs), 13).arg(onB, 13)
                    .arg(r.newBest ? Format::time(BestTrial::rankingMs(*r.newBest)) : QStringLiteral("none"), 10)
                    .arg(r.evaluations, 5).arg(r.seconds, 8, 'f', 1)
                    .arg(r.changed ? QStringLiteral("yes") : QStringLiteral("no"), -7)
                    .arg(RefreshStrategy::modeName(r.verdict.mode),
                         r.ended);
    }
    return text;
}

QJsonArray Refresh::json(const QVector<RefreshRow>& rows)
{
    QJsonArray a;
    for (const RefreshRow& r : rows) {
        QJsonObject o{{QStringLiteral("key"), r.hasKey ? QJsonValue(double(r.key)) : QJsonValue()},
                      {QStringLiteral("from"), r.origin},
                      {QStringLiteral("device"), r.deviceId},
                      {QStringLiteral("session"), double(r.sessionId)},
                      {QStringLiteral("old_best_config"), r.oldBestConfig},
                      {QStringLiteral("old_best_ms_on_a"), number(r.oldBestOnAMs)},
                      {QStringLiteral("evaluations"), r.evaluations},
                      {QStringLiteral("seconds"), r.seconds},
                      {QStringLiteral("changed"), r.changed},
                      {QStringLiteral("mode"), RefreshStrategy::modeName(r.verdict.mode)},
                      {QStringLiteral("why"), r.verdict.why},
                      {QStringLiteral("ended"), r.ended}};
        if (r.oldBestOnB) {
            o.insert(QStringLiteral("old_best_status_here"), statusName(r.oldBestOnB->status));
            o.insert(QStringLiteral("old_best_ms_here"), r.oldBestOnB->isOk() ? number(r.oldBestOnB->objectiveMs) : QJsonValue());
        } else {
            o.insert(QStringLiteral("old_best_status_here"), QJsonValue());
            o.insert(QStringLiteral("old_best_ms_here"), QJsonValue());
        }
        o.insert(QStringLiteral("new_best_config"), r.newBest ? QJsonValue(r.newBest->config) : QJsonValue());
        o.insert(QStringLiteral("new_best_ms"), r.newBest ? number(BestTrial::rankingMs(*r.newBest)) : QJsonValue());
        a.append(o);
    }
    return a;
}

} // namespace dv

// `dejavu-tune ladder`: one tuning session per problem key, each warm-started from the nearest key
// already tuned, and the coverage report of a ladder (docs/exports.md "Ladders").
#include "Cli.h"

#include "CliSupport.h"
#include "SignalGuard.h"
#include "base/Format.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "export/TuningLadder.h"
#include "search/StrategyFactory.h"
#include "session/BestTrial.h"
#include "session/ResultStore.h"
#include "session/Session.h"
#include "session/SessionLaunch.h"
#include "session/StoredSession.h"
#include "session/WarmStart.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>

namespace dv {

using namespace cli;

namespace {

/// "1,2,4" or "pow2:16..4096" (powers of two, both ends inclusive), or both mixed: "1,pow2:16..64".
Result<QVector<qint64>> parseKeys(const QString& text, const QString& option)
{
    QVector<qint64> keys;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString t = part.trimmed();
        if (t.startsWith(QLatin1String("pow2:"))) {
            const QStringList ends = t.mid(5).split(QStringLiteral(".."));
            bool ok1 = false, ok2 = false;
            const qint64 a = ends.value(0).toLongLong(&ok1), b = ends.value(1).toLongLong(&ok2);
            if (ends.size() != 2 || !ok1 || !ok2 || a < 1 || b < a)
                return Error{QStringLiteral("--%1: expected pow2:FIRST..LAST with 1 <= FIRST <= LAST, got '%2'").arg(option, t)};
            keys += TuningLadder::powersOfTwo(a, b);
            continue;
        }
        bool ok = false;
        const qint64 v = t.toLongLong(&ok);
        if (!ok || v < 1)
            return Error{QStringLiteral("--%1: expected integers >= 1 or pow2:A..B, got '%2'").arg(option, t)};
        keys.append(v);
    }
    if (keys.isEmpty())
        return Error{QStringLiteral("--%1: no keys").arg(option)};
    for (int i = 0; i < keys.size(); ++i)
        if (keys.indexOf(keys[i]) != i)
            return Error{QStringLiteral("--%1: key %2 appears twice").arg(option).arg(keys[i])};
    return keys;
}

/// The ladder of stored sessions: per problem key (at `position` of each session's problem) the
/// fastest exportable trial, with the recorded landscape of replayed sessions for exact coverage.
Result<TuningLadder> ladderOf(ResultStore& store, const QList<qint64>& ids, int position)
{
    TuningLadder ladder;
    for (qint64 id : ids) {
        // The stored id is data: a recorded landscape or nothing, never a process (StoredSession).
        auto stored = StoredSession::open(store, id);
        if (!stored)
            return Error{stored.error()};
        const SessionRecord& record = stored->record;
        const QString origin = QStringLiteral("session %1").arg(id);
        auto key = TuningLadder::problemValue(record.problem, position);
        if (!key)
            return Error{QStringLiteral("%1: %2").arg(origin, key.error())};
        auto added = ladder.addTrials(key.value(), stored->trials, record.device.name, origin, record.elapsedMs / 1000.0);
        if (!added)
            return Error{added.error()};
        if (record.device.backend == QLatin1String("replay") && stored->recorded)
            ladder.addLandscape(key.value(), Landscape::fromCache(stored->recorded->cache(), record.device.id));
    }
    return ladder;
}

QString substitute(QString tmpl, const QString& param, qint64 key)
{
    tmpl.replace(QStringLiteral("{key}"), QString::number(key));
    if (!param.isEmpty())
        tmpl.replace(QLatin1Char('{') + param + QLatin1Char('}'), QString::number(key));
    return tmpl;
}

} // namespace

int Cli::ladder(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("device"), QStringLiteral("Device template: a device id in which {key} (or {NAME} of --key-param) "
                                                          "is replaced by each key, e.g. 'replay:h100/triton_rmsnorm_fp16_rows{rows}_N4096'."), QStringLiteral("TEMPLATE")});
    p.addOption({QStringLiteral("keys"), QStringLiteral("Problem keys to tune, in order: 1,2,4 or pow2:16..4096."), QStringLiteral("LIST")});
    p.addOption({QStringLiteral("key-param"), QStringLiteral("Name of the key in the template ({NAME}); default: {key} only."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("strategy"), QStringLiteral("Search strategy (default %1; only bayes uses the warm start).").arg(StrategyFactory::defaultName()),
                 QStringLiteral("NAME"), StrategyFactory::defaultName()});
    p.addOption({QStringLiteral("budget"), QStringLiteral("Evaluations per key."), QStringLiteral("N")});
    p.addOption({QStringLiteral("time-limit"), QStringLiteral("Wall-time limit per key, seconds."), QStringLiteral("SEC")});
    p.addOption({QStringLiteral("slots"), QStringLiteral("Run each key's session on K slots at once (K GPUs: default as many as the "
                                                         "device names; K replays or workers)."), QStringLiteral("K")});
    p.addOption({QStringLiteral("latency-ms"), QStringLiteral("Replay devices: pause this long per evaluation, as a GPU would."), QStringLiteral("MS")});
    p.addOption({QStringLiteral("seed"), QStringLiteral("Random seed (default %1).").arg(StrategyFactory::kDefaultSeed), QStringLiteral("S"),
                 QString::number(StrategyFactory::kDefaultSeed)});
    p.addOption({QStringLiteral("no-warm-start"), QStringLiteral("Tune every key cold.")});
    p.addOption(databaseOption(QStringLiteral("Result database (default %1).").arg(defaultDatabase())));
    p.addOption({QStringLiteral("coverage"), QStringLiteral("Only print the coverage of stored sessions (--session, --targets).")});
    p.addOption({QStringLiteral("session"), QStringLiteral("--coverage: the sessions of the ladder (default: all sessions on the newest session's GPU)."), QStringLiteral("IDS")});
    p.addOption({QStringLiteral("targets"), QStringLiteral("--coverage: the keys a deployment meets (default: powers of two up to the largest key)."), QStringLiteral("LIST")});
    p.addOption({QStringLiteral("key-position"), QStringLiteral("--coverage: position of the key in each session's problem (default 0)."), QStringLiteral("POS")});
    p.addOption({QStringLiteral("lookup"), QStringLiteral("exact (triton-dejavu, Triton's cache; default) or nearest (vLLM)."), QStringLiteral("HOW"), QStringLiteral("exact")});
    p.addOption({QStringLiteral("quiet"), QStringLiteral("No per-key lines.")});
    if (!parse(p, args, QStringLiteral("Tune a ladder of problem keys, each warm-started from the keys already tuned; or report a ladder's coverage.")))
        return kBadInput;
    const QString lookupName = p.value(QStringLiteral("lookup"));
    if (lookupName != QLatin1String("exact") && lookupName != QLatin1String("nearest")) {
        err(QStringLiteral("--lookup: expected exact or nearest, got '%1'").arg(lookupName));
        return kBadInput;
    }
    const auto lookup = lookupName == QLatin1String("nearest") ? TuningLadder::Lookup::Nearest : TuningLadder::Lookup::Exact;
    const QString db = databasePath(p);
    std::optional<QVector<qint64>> targets;
    if (p.isSet(QStringLiteral("targets"))) {
        auto t = parseKeys(p.value(QStringLiteral("targets")), QStringLiteral("targets"));
        if (!t) {
            err(t.error());
            return kBadInput;
        }
        targets = t.value();
    }

    if (p.isSet(QStringLiteral("coverage"))) {
        qint64 position = 0;
        if (!intOption(p, QStringLiteral("key-position"), 0, position))
            return kBadInput;
        auto store = openStoreForReading(db);
        if (!store)
            return kBadInput;
        QList<qint64> ids;
        if (!sessionIdsOption(p, ids))
            return kBadInput;
        if (ids.isEmpty()) {
            auto list = store->sessions();
            if (!list || list->isEmpty()) {
                err(list ? QStringLiteral("%1: the database holds no session").arg(db) : list.error());
                return kBadInput;
            }
            for (const SessionRecord& s : list.value())
                if (s.device.name == list->first().device.name)
                    ids.prepend(s.id);
        }
        auto ladder = ladderOf(*store, ids, int(position));
        if (!ladder) {
            err(ladder.error());
            return kBadInput;
        }
        if (ladder->rungs().isEmpty()) {
            err(QStringLiteral("no session holds an ok, verified trial"));
            return kBadInput;
        }
        const QVector<qint64> t = targets ? *targets : TuningLadder::powersOfTwo(1, ladder->rungs().last().key);
        out(QStringLiteral("coverage of %1 tuned keys on %2 (%3 lookup):").arg(ladder->rungs().size()).arg(ladder->deviceName(), lookupName));
        std::fputs(qPrintable(TuningLadder::coverageTable(ladder->coverage(t, lookup))), stdout);
        return kOk;
    }

    for (const char* required : {"device", "keys", "budget"}) {
        if (!p.isSet(QLatin1String(required))) {
            err(QStringLiteral("--%1 is required (or --coverage)").arg(QLatin1String(required)));
            return kBadInput;
        }
    }
    qint64 budget = 0, seed = qint64(StrategyFactory::kDefaultSeed), slotCount = 0, latency = 0;
    double seconds = 0;
    if (!intOption(p, QStringLiteral("budget"), 1, budget) || !intOption(p, QStringLiteral("seed"), 0, seed)
        || !doubleOption(p, QStringLiteral("time-limit"), seconds) || !intOption(p, QStringLiteral("slots"), 1, slotCount)
        || !intOption(p, QStringLiteral("latency-ms"), 0, latency))
        return kBadInput;
    auto keys = parseKeys(p.value(QStringLiteral("keys")), QStringLiteral("keys"));
    if (!keys) {
        err(keys.error());
        return kBadInput;
    }
    const QString strategy = p.value(QStringLiteral("strategy"));
    if (auto s = StrategyFactory::create(strategy); !s) {
        err(QStringLiteral("--strategy: ") + s.error());
        return kBadInput;
    }
    const QString tmpl = p.value(QStringLiteral("device"));
    const QString param = p.value(QStringLiteral("key-param"));
    if (!tmpl.contains(QStringLiteral("{key}")) && (param.isEmpty() || !tmpl.contains(QLatin1Char('{') + param + QLatin1Char('}')))) {
        err(QStringLiteral("--device: the template '%1' holds no {key}%2").arg(tmpl, param.isEmpty() ? QString() : QStringLiteral(" or {%1}").arg(param)));
        return kBadInput;
    }
    // Recorded devices all open before the first session starts: a typo in the template costs
    // nothing. Workers start key by key (the first one now, so that a wrong template fails before
    // anything is stored): a worker per key and slot at once would hold every GPU context and
    // compile pool of the whole ladder for its whole length.
    // Ctrl-C and SIGTERM end every wait from here on; no further key starts after one.
    SignalGuard guard;
    LaunchRequest request;
    request.databasePath = db;
    request.options.strategy = strategy;
    request.options.seed = quint64(seed);
    request.options.maxEvaluations = int(budget);
    request.options.maxSeconds = seconds;
    request.slotCount = int(slotCount);
    request.simulatedLatencyMs = int(latency);
    // Each key's session runs on every slot (K GPUs, K replays), one key after the other, so that
    // each key still warm-starts from the nearest key already tuned.
    auto openKey = [&](qint64 key) -> Result<SessionLaunch::SlotGroup> {
        LaunchRequest keyRequest = request;
        keyRequest.deviceId = substitute(tmpl, param, key);
        auto d = SessionLaunch::openPool(keyRequest, guard.flag());
        if (!d)
            return Error{QStringLiteral("key %1: %2").arg(key).arg(d.error())};
        if (d->size() > 1)
            return Error{QStringLiteral("key %1: the slots are GPUs of %2 types (%3); one ladder never mixes GPUs: run one per type")
                             .arg(key).arg(d->size()).arg(SessionLaunch::describe(d.value()))};
        return d->front();
    };
    const bool workers = DeviceRegistry::startsProcess(substitute(tmpl, param, keys->first()));
    std::vector<SessionLaunch::SlotGroup> devices(size_t(keys->size()));
    for (int i = 0; i < (workers ? 1 : keys->size()); ++i) {
        auto d = openKey(keys->at(i));
        if (!d) {
            err(d.error());
            return guard.caught() ? guard.exitCode() : kBadInput;
        }
        devices[size_t(i)] = d.value();
    }
    QDir().mkpath(QFileInfo(db).absolutePath());
    auto opened = ResultStore::open(db);
    if (!opened) {
        err(opened.error());
        return kBadInput;
    }
    ResultStore& store = *opened.value();

    const bool warm = !p.isSet(QStringLiteral("no-warm-start")) && strategy == QLatin1String("bayes");
    QMap<qint64, QVector<Trial>> tuned; // key -> trials of its session
    QList<qint64> ids;
    QList<qint64> empty, withResult; // keys whose session found no configuration that succeeded; sessions that did
    const bool quiet = p.isSet(QStringLiteral("quiet"));
    QElapsedTimer all;
    all.start();
    for (int i = 0; i < keys->size() && !guard.caught(); ++i) {
        const qint64 key = keys->at(i);
        LaunchRequest keyRequest = request;
        QString from = QStringLiteral("cold");
        if (warm && !tuned.isEmpty()) {
            // The nearest tuned key on a log scale: its landscape is the most alike, and objectives
            // of one key only (times of different sizes do not mix in one model).
            qint64 nearest = tuned.firstKey();
            for (auto it = tuned.begin(); it != tuned.end(); ++it)
                if (std::abs(std::log2(double(it.key()) / double(key))) < std::abs(std::log2(double(nearest) / double(key))))
                    nearest = it.key();
            const QJsonArray prior = WarmStart::fromTrials(tuned.value(nearest));
            keyRequest.options.strategyOptions = WarmStart::withPrior({}, prior);
            from = QStringLiteral("warm from key %1 (%2 trials)").arg(nearest).arg(prior.size());
        }
        if (devices[size_t(i)].empty()) {
            auto d = openKey(key);
            if (!d) {
                err(d.error());
                return guard.caught() ? guard.exitCode() : kFailed;
            }
            devices[size_t(i)] = d.value();
        }
        const SessionLaunch::SlotGroup slotDevices = std::move(devices[size_t(i)]);
        devices[size_t(i)].clear(); // the key's workers end with its session
        auto options = SessionLaunch::sessionOptions(keyRequest, *slotDevices.front());
        auto session = options ? Session::create(store, slotDevices.front(), options.value())
                               : Result<std::unique_ptr<Session>>(Error{options.error()});
        for (size_t slot = 1; session && slot < slotDevices.size(); ++slot) {
            if (auto added = session.value()->addSlot(slotDevices[slot]); !added)
                session = Error{added.error()};
        }
        if (!session) {
            err(QStringLiteral("key %1: %2").arg(key).arg(session.error()));
            return kFailed;
        }
        QElapsedTimer clock;
        clock.start();
        guard.setSession(session.value().get());
        auto ended = session.value()->run();
        guard.setSession(nullptr);
        if (!ended) {
            err(QStringLiteral("key %1 (session %2): %3").arg(key).arg(session.value()->id()).arg(ended.error()));
            return kFailed;
        }
        const qint64 id = session.value()->id();
        auto trials = store.trials(id);
        if (!trials) {
            err(trials.error());
            return kFailed;
        }
        tuned.insert(key, trials.value());
        ids.append(id);
        const auto best = BestTrial::of(trials.value());
        if (!best)
            empty.append(key);
        else
            withResult.append(id);
        if (!quiet)
            std::fprintf(stderr, "key %lld: session %lld, %s, %s in %s (%s), best %s\n", key, id, qPrintable(from),
                         qPrintable(Format::count(trials->size(), QStringLiteral("evaluation"))),
                         qPrintable(Format::duration(double(clock.nsecsElapsed()) / 1e9)), qPrintable(ended.value()),
                         best ? qPrintable(QStringLiteral("%1 %2").arg(Format::time(BestTrial::rankingMs(*best)), compactJson(best->config)))
                              : "none");
    }
    if (guard.caught())
        err(QStringLiteral("interrupted after %1 of %2 keys; the stopped session can be continued with tune --resume").arg(ids.size()).arg(keys->size()));
    QStringList idText;
    for (qint64 id : ids)
        idText.append(QString::number(id));
    out(QStringLiteral("ladder: %1 in %2, sessions %3 in %4").arg(Format::count(ids.size(), QStringLiteral("key")),
                                                                  Format::duration(double(all.nsecsElapsed()) / 1e9), idText.join(QLatin1Char(',')), db));
    // The problem position of the key: the first position whose value is the key in every session.
    int position = -1;
    for (int pos = 0; pos < 8 && position < 0; ++pos) {
        bool everyOne = true;
        for (int i = 0; i < ids.size() && everyOne; ++i) {
            auto record = store.session(ids[i]);
            auto v = record ? TuningLadder::problemValue(record->problem, pos) : Result<qint64>(Error{QString()});
            everyOne = v && v.value() == keys->at(i);
        }
        if (everyOne)
            position = pos;
    }
    // A ladder with a key that found nothing is not done: a script must be able to tell (exit 3);
    // one stopped by Ctrl-C or SIGTERM says so first (130 or 143).
    QStringList emptyText;
    for (qint64 key : empty)
        emptyText.append(QString::number(key));
    if (!empty.isEmpty())
        err(QStringLiteral("no configuration succeeded for %1 %2").arg(empty.size() == 1 ? QStringLiteral("key") : QStringLiteral("keys"),
                                                                      emptyText.join(QLatin1Char(','))));
    const int status = guard.caught() ? guard.exitCode() : (empty.isEmpty() ? kOk : kNoResult);
    if (position < 0 || withResult.isEmpty()) {
        out(position < 0 ? QStringLiteral("(no coverage: the key is not a value of the sessions' problems)")
                         : QStringLiteral("(no coverage: no key has a result)"));
        return status;
    }
    auto ladder = ladderOf(store, withResult, position);
    if (!ladder) {
        err(ladder.error());
        return kFailed;
    }
    QVector<qint64> sorted = keys.value();
    std::sort(sorted.begin(), sorted.end());
    const QVector<qint64> t = targets ? *targets : sorted;
    out(QStringLiteral("coverage (%1 lookup; export with: dejavu-tune export --db %2 --session %3 --format ...):")
            .arg(lookupName, db, idText.join(QLatin1Char(','))));
    std::fputs(qPrintable(TuningLadder::coverageTable(ladder->coverage(t, lookup))), stdout);
    return status;
}

} // namespace dv

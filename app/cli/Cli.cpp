#include "Cli.h"

#include "CliSupport.h"

#include "ProgressBar.h"
#include "SignalGuard.h"
#include "base/Format.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "search/StrategyFactory.h"
#include "session/BestTrial.h"
#include "session/ResultStore.h"
#include "session/Session.h"
#include "space/SpaceRestriction.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace dv {

using namespace cli;

namespace {

/// One evaluation as a JSON line on stdout, parameters in the space's order:
/// {"i": 1, "config": {"BLOCK_M": 128, ...}, "status": "ok", "objective": 0.1932}.
void printTrialLine(const ConfigSpace& space, const Trial& t)
{
    QByteArray line = "{\"i\": " + QByteArray::number(t.sequence) + ", \"config\": {";
    const auto& params = space.parameters();
    for (int i = 0; i < params.size(); ++i) {
        const QJsonValue v = t.config.value(params[i].name);
        QByteArray value = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
        line += (i ? ", " : "") + QJsonDocument(QJsonArray{params[i].name}).toJson(QJsonDocument::Compact).mid(1).chopped(1)
              + ": " + value.mid(1, value.size() - 2);
    }
    line += "}, \"status\": \"" + statusName(t.measurement.status).toUtf8() + "\", \"objective\": ";
    line += t.measurement.isOk() ? QByteArray::number(t.measurement.objectiveMs, 'g', QLocale::FloatingPointShortest) : QByteArray("null");
    line += "}\n";
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
}

/// Prints the end of a session; true when a configuration succeeded (there is a best).
bool printSummary(const SessionRecord& record, const QVector<Trial>& trials, const QString& reason, double seconds,
                  const QString& db)
{
    int fromStore = 0;
    QMap<int, int> byStatus;
    QVector<const Trial*> remeasured;
    for (const Trial& t : trials) {
        fromStore += t.fromStore ? 1 : 0;
        byStatus[int(t.measurement.status)]++;
        if (BestTrial::isRemeasured(t))
            remeasured.append(&t);
    }
    std::fprintf(stderr, "session %lld %s (%s): %s (%d answered from the store) in %s on %s\n",
                 record.id, qPrintable(record.state), qPrintable(reason), qPrintable(Format::count(trials.size(), QStringLiteral("evaluation"))),
                 fromStore, qPrintable(Format::duration(seconds)), qPrintable(record.device.id));
    std::sort(remeasured.begin(), remeasured.end(),
              [](const Trial* a, const Trial* b) { return BestTrial::rankingMs(*a) < BestTrial::rankingMs(*b); });
    for (const Trial* t : remeasured) {
        QStringList rounds;
        for (double ms : t->remeasuredMs)
            rounds.append(Format::time(ms));
        std::fprintf(stderr, "re-measured: median %s (rounds %s; search %s)  %s\n", qPrintable(Format::time(BestTrial::rankingMs(*t))),
                     qPrintable(rounds.join(QStringLiteral(", "))), qPrintable(Format::time(t->measurement.objectiveMs)),
                     qPrintable(compactJson(t->config)));
    }
    if (const auto best = BestTrial::of(trials)) {
        if (BestTrial::isRemeasured(*best))
            std::fprintf(stderr, "best: %s  %s  (evaluation %d; median of %s, the search measured %s)\n",
                         qPrintable(Format::time(BestTrial::rankingMs(*best))), qPrintable(compactJson(best->config)), best->sequence,
                         qPrintable(Format::count(best->remeasuredMs.size(), QStringLiteral("interleaved re-measurement"))),
                         qPrintable(Format::time(best->measurement.objectiveMs)));
        else
            std::fprintf(stderr, "best: %s  %s  (evaluation %d)\n", qPrintable(Format::time(best->measurement.objectiveMs)),
                         qPrintable(compactJson(best->config)), best->sequence);
    } else {
        std::fprintf(stderr, "best: none (no configuration succeeded)\n");
    }
    QStringList parts;
    for (Status s : kAllStatuses) {
        if (byStatus.value(int(s)) > 0)
            parts.append(QStringLiteral("%1 %2").arg(statusName(s)).arg(byStatus.value(int(s))));
    }
    std::fprintf(stderr, "statuses: %s\n", qPrintable(parts.join(QStringLiteral(", "))));
    if (record.state != QLatin1String("finished") || reason == QLatin1String("budget"))
        std::fprintf(stderr, "continue with: dejavu-tune tune --db %s --resume %lld [--budget TOTAL]\n", qPrintable(db),
                     record.id);
    return BestTrial::of(trials).has_value();
}

} // namespace

int Cli::usage(bool asked)
{
    // Asked for (--help, help): the answer, on stdout, exit 0. Otherwise a usage error.
    std::fprintf(asked ? stdout : stderr,
                 "usage: dejavu-tune <command> [options]   (dejavu-tune <command> --help, or dejavu-tune help <command>, for details)\n\n"
                 "commands:\n"
                 "  devices           list the devices: recorded landscapes and this build's GPU workers\n"
                 "  tune              run or resume a tuning session, stored in a result database\n"
                 "  replay            run one search on a dataset and print every evaluation as a JSON line\n"
                 "  sessions          list the sessions of a result database\n"
                 "  export            write a session's trials (csv, kerneltuner, t4) or a ladder of sessions in the\n"
                 "                    formats deployments load (dejavu, vllm, triton-cache)\n"
                 "  space             check a configuration-space file and count its valid configurations\n"
                 "  bench-strategies  score search strategies on recorded landscapes\n"
                 "  ladder            tune one session per problem key, warm-started; --coverage reports a ladder\n"
                 "  bundle            create, inspect, verify, import or merge portable bundles of sessions and exports\n"
                 "  help [COMMAND]    this list, or a command's options\n\n"
                 "exit status: 0 ok; 1 a failure while running; 2 bad usage or input (nothing written);\n"
                 "3 a session ran but no configuration succeeded; 130, 143 stopped by Ctrl-C, SIGTERM (resumable)\n");
    return asked ? kOk : kBadInput;
}

int Cli::run(const QStringList& arguments)
{
    if (arguments.size() < 2)
        return usage(false);
    const QString command = arguments.at(1);
    if (command == QLatin1String("help") && arguments.size() > 2)
        return run({arguments.at(0), arguments.at(2), QStringLiteral("--help")});
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help"))
        return usage(true);
    if (command == QLatin1String("--version")) {
        out(QStringLiteral("dejavu-tune 0.1.0"));
        return kOk;
    }
    QStringList rest = arguments;
    rest.removeAt(1);
    // QCommandLineParser skips the first argument; it names the command in the usage line.
    rest[0] = QStringLiteral("dejavu-tune ") + command;
    if (command == QLatin1String("devices"))
        return devices(rest);
    if (command == QLatin1String("tune"))
        return tune(rest);
    if (command == QLatin1String("replay"))
        return replay(rest);
    if (command == QLatin1String("sessions"))
        return sessions(rest);
    if (command == QLatin1String("export"))
        return exportTrials(rest);
    if (command == QLatin1String("space"))
        return space(rest);
    if (command == QLatin1String("bench-strategies"))
        return benchStrategies(rest);
    if (command == QLatin1String("ladder"))
        return ladder(rest);
    if (command == QLatin1String("bundle"))
        return bundle(rest);
    err(QStringLiteral("unknown command '%1'").arg(command));
    return usage(false);
}

int Cli::devices(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("json"), QStringLiteral("One JSON object per device.")});
    p.addOption({QStringLiteral("licenses"), QStringLiteral("Print the licence notices of the shipped datasets.")});
    if (!parse(p, args, QStringLiteral("List the devices that can be tuned.")))
        return kBadInput;
    if (p.isSet(QStringLiteral("licenses"))) {
        out(DeviceRegistry::datasetNotices());
        return kOk;
    }
    auto list = DeviceRegistry::list();
    if (!list) {
        err(list.error());
        return kFailed;
    }
    for (const auto& e : list.value()) {
        if (p.isSet(QStringLiteral("json"))) {
            out(compactJson(QJsonObject{{QStringLiteral("id"), e.id}, {QStringLiteral("device"), e.deviceName},
                                        {QStringLiteral("kernel"), e.kernel}, {QStringLiteral("problem"), e.problem},
                                        {QStringLiteral("configurations"), e.configurations}}));
        } else {
            out(QStringLiteral("%1\n    %2 | kernel %3 | problem %4 | %5 configurations (%6)")
                    .arg(e.id, e.deviceName, e.kernel, e.problem).arg(e.configurations).arg(e.description));
        }
    }
    // The GPU workers of this build by their short names (nothing is started here).
    for (const auto& e : DeviceRegistry::namedWorkers()) {
        if (p.isSet(QStringLiteral("json"))) {
            out(compactJson(QJsonObject{{QStringLiteral("id"), e.id}, {QStringLiteral("device"), e.deviceName},
                                        {QStringLiteral("kernel"), e.kernel}, {QStringLiteral("worker"), e.description}}));
        } else {
            out(QStringLiteral("%1\n    %2 | default kernel %3 | %4").arg(e.id, e.deviceName, e.kernel, e.description));
        }
    }
    if (!p.isSet(QStringLiteral("json")))
        out(QStringLiteral("\nAny Kernel Tuner cache file (.json or .json.gz) can be used as a device by its path.\n"
                           "A GPU worker is a device given by its command line (docs/worker-protocol.md), e.g.\n"
                           "  \"worker:kernel=matmul 'problem={\\\"M\\\":4096,\\\"N\\\":4096,\\\"K\\\":4096}' timeout=60 "
                           "python3 kernels/triton/dejavu_triton_worker.py\""));
    return kOk;
}

int Cli::tune(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("device"), QStringLiteral("Device id (see `devices`) or a Kernel Tuner cache file."), QStringLiteral("D")});
    p.addOption({QStringLiteral("strategy"), QStringLiteral("Search strategy: %1 (default %2).").arg(StrategyFactory::names().join(QStringLiteral(", ")), StrategyFactory::defaultName()),
                 QStringLiteral("NAME"), StrategyFactory::defaultName()});
    p.addOption({QStringLiteral("budget"), QStringLiteral("The session's total number of evaluations (default: the whole space). With --resume "
                                                          "the stored ones count: --budget 200 continues a session of 57 evaluations to 200."), QStringLiteral("N")});
    p.addOption({QStringLiteral("time-limit"), QStringLiteral("Wall-time limit in seconds."), QStringLiteral("SEC")});
    p.addOption({QStringLiteral("patience"), QStringLiteral("Stop after N evaluations without improvement."), QStringLiteral("N")});
    p.addOption({QStringLiteral("seed"), QStringLiteral("Random seed (default %1).").arg(StrategyFactory::kDefaultSeed), QStringLiteral("S"),
                 QString::number(StrategyFactory::kDefaultSeed)});
    p.addOption(databaseOption(QStringLiteral("Result database (default %1).").arg(defaultDatabase())));
    p.addOption({QStringLiteral("resume"), QStringLiteral("Continue stored session ID."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("latency-ms"), QStringLiteral("Replay devices: pause this long per evaluation, as a GPU would."), QStringLiteral("MS")});
    p.addOption({QStringLiteral("hot-cache"), QStringLiteral("GPU workers: do not flush the L2 cache between timed runs.")});
    p.addOption({QStringLiteral("cuda-graph"), QStringLiteral("GPU workers: time replays of a CUDA graph of many launches (launch-bound kernels).")});
    p.addOption({QStringLiteral("remeasure"), QStringLiteral("Re-measure the best K configurations at the end, interleaved (default 5; 0: off)."), QStringLiteral("K"), QStringLiteral("5")});
    p.addOption({QStringLiteral("remeasure-rounds"), QStringLiteral("Rounds of the re-measurement (default 3)."), QStringLiteral("R"), QStringLiteral("3")});
    p.addOption({QStringLiteral("space"), QStringLiteral("Search only this narrowing of the device's space (a space file: fewer values, extra constraints)."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("quiet"), QStringLiteral("No progress bar.")});
    p.addOption({QStringLiteral("print-trials"), QStringLiteral("Print each trial to stdout as a JSON line once it is stored (as `replay` does).")});
    if (!parse(p, args, QStringLiteral("Run or resume a tuning session.")))
        return kBadInput;

    qint64 budget = 0, seed = qint64(StrategyFactory::kDefaultSeed), resumeId = 0, latency = 0, patience = 0, remeasureTop = 5, remeasureRounds = 3;
    double seconds = 0;
    if (!intOption(p, QStringLiteral("budget"), 1, budget) || !intOption(p, QStringLiteral("seed"), 0, seed)
        || !intOption(p, QStringLiteral("remeasure"), 0, remeasureTop)
        || !intOption(p, QStringLiteral("remeasure-rounds"), 1, remeasureRounds)
        || !intOption(p, QStringLiteral("patience"), 1, patience)
        || !intOption(p, QStringLiteral("resume"), 1, resumeId) || !intOption(p, QStringLiteral("latency-ms"), 0, latency)
        || !doubleOption(p, QStringLiteral("time-limit"), seconds))
        return kBadInput;
    const QString db = databasePath(p);

    QString deviceId = p.value(QStringLiteral("device"));
    std::unique_ptr<ResultStore> store;
    if (resumeId > 0) {
        store = openExistingStore(db);
        if (!store)
            return kBadInput;
        auto record = store->session(resumeId);
        if (!record) {
            err(record.error());
            return kBadInput;
        }
        // --budget is the session's total: one below what is stored would end it at once.
        if (budget > 0 && budget <= record->trialCount) {
            err(QStringLiteral("--budget %1: session %2 already has %3; --budget is the session's total, so give more than %4")
                    .arg(budget).arg(resumeId).arg(Format::count(record->trialCount, QStringLiteral("evaluation"))).arg(record->trialCount));
            return kBadInput;
        }
        // How a session times and re-measures is part of it; a resumed run keeps it.
        for (const char* fixed : {"hot-cache", "cuda-graph", "remeasure", "remeasure-rounds", "space"}) {
            if (p.isSet(QLatin1String(fixed))) {
                err(QStringLiteral("--%1 cannot change a stored session (session %2 keeps its own); start a new session instead")
                        .arg(QLatin1String(fixed)).arg(resumeId));
                return kBadInput;
            }
        }
        // A stored device id is data: one that starts a process runs only when the user gives it
        // again (docs/worker-protocol.md, "Device ids from files").
        if (deviceId.isEmpty() && DeviceRegistry::startsProcess(record->device.id)) {
            err(QStringLiteral("session %1 ran on a worker started by this command line, read from %2:\n  %3\n"
                               "it is not run unless you give it again: --device '%4'")
                    .arg(resumeId).arg(db, record->device.id, QString(record->device.id).replace(QLatin1Char('\''), QStringLiteral("'\\''"))));
            return kBadInput;
        }
        if (deviceId.isEmpty())
            deviceId = record->device.id;
    } else {
        if (deviceId.isEmpty()) {
            err(QStringLiteral("--device is required (see `dejavu-tune devices`)"));
            return kBadInput;
        }
        auto strategy = StrategyFactory::create(p.value(QStringLiteral("strategy")));
        if (!strategy) {
            err(QStringLiteral("--strategy: ") + strategy.error());
            return kBadInput;
        }
    }

    // From here on Ctrl-C and SIGTERM end every wait (a worker's hello, load, a hung trial).
    SignalGuard guard;
    auto opened = DeviceRegistry::open(deviceId, guard.flag());
    if (!opened) {
        err(opened.error());
        return guard.caught() ? guard.exitCode() : kBadInput;
    }
    std::shared_ptr<Device> device(std::move(opened.value()));
    const TimingOptions timing{!p.isSet(QStringLiteral("hot-cache")), p.isSet(QStringLiteral("cuda-graph"))};
    if (auto timed = device->setTiming(timing); resumeId == 0 && !timed) {
        err(timed.error());
        return kBadInput;
    }
    if (latency > 0) {
        if (auto* replay = dynamic_cast<ReplayDevice*>(device.get()))
            replay->setSimulatedLatencyMs(int(latency));
    }

    QJsonObject narrowed;
    const QString spaceFile = p.value(QStringLiteral("space"));
    if (!spaceFile.isEmpty()) {
        QFile f(spaceFile);
        if (!f.open(QIODevice::ReadOnly)) {
            err(QStringLiteral("%1: cannot read the space file: %2").arg(spaceFile, f.errorString()));
            return kBadInput;
        }
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            err(QStringLiteral("%1: not a JSON object (%2 at offset %3)")
                    .arg(spaceFile, parseError.errorString()).arg(parseError.offset));
            return kBadInput;
        }
        narrowed = doc.object();
        if (auto checked = SpaceRestriction::apply(device->workload().space, narrowed, spaceFile); !checked) {
            err(checked.error());
            return kBadInput;
        }
    }

    if (!store) {
        // Only now, with every input checked, may the database be created.
        QDir().mkpath(QFileInfo(db).absolutePath());
        auto created = ResultStore::open(db);
        if (!created) {
            err(created.error());
            return kBadInput;
        }
        store = std::move(created.value());
    }

    Result<std::unique_ptr<Session>> session = resumeId > 0
        ? Session::resume(*store, device, resumeId, int(budget), seconds)
        : Session::create(*store, device,
                          SessionOptions{p.value(QStringLiteral("strategy")), {}, quint64(seed), int(budget), seconds, int(patience),
                                         timing, int(remeasureTop), int(remeasureRounds), narrowed, spaceFile});
    if (!session) {
        err(session.error());
        return guard.caught() ? guard.exitCode() : kBadInput;
    }
    Session& s = *session.value();

    ProgressBar bar(stderr);
    // The session's best so far, the stored trials of a resumed session included.
    const auto stored = s.history().best();
    double best = stored ? stored->objectiveMs : std::numeric_limits<double>::infinity();
    const bool quiet = p.isSet(QStringLiteral("quiet"));
    const bool printTrials = p.isSet(QStringLiteral("print-trials"));
    QObject::connect(&s, &Session::trialFinished, [&](const Trial& t) {
        if (t.measurement.isOk())
            best = std::min(best, t.measurement.objectiveMs);
        // Emitted only once the trial is committed: a line on stdout is a trial the store holds.
        if (printTrials) {
            printTrialLine(s.space(), t);
            std::fflush(stdout);
        }
    });
    QObject::connect(&s, &Session::progress, [&](int done, int total) {
        if (!quiet)
            bar.update(done, total, std::isfinite(best) ? QStringLiteral("best %1").arg(Format::time(best)) : QString());
    });
    QObject::connect(&s, &Session::remeasureProgress, [&](int done, int total) {
        if (!quiet)
            bar.update(done, total, QStringLiteral("re-measuring the best, interleaved"));
    });

    const qint64 searched = s.space().size(), whole = device->workload().space.size();
    const QString spaceText = searched == whole ? QStringLiteral("%1 configurations").arg(whole)
                                                : QStringLiteral("%1 of the device's %2 configurations").arg(searched).arg(whole);
    std::fprintf(stderr, "session %lld: %s on %s (%s), %s, strategy %s, seed %llu\n", s.id(),
                 qPrintable(s.record().kernel), qPrintable(device->info().name), qPrintable(deviceId),
                 qPrintable(spaceText), qPrintable(s.record().strategy), s.record().seed);
    guard.setSession(&s);
    QElapsedTimer clock;
    clock.start();
    auto ended = s.run();
    guard.setSession(nullptr);
    bar.finish();
    if (!ended) {
        err(ended.error());
        return kFailed;
    }
    auto trials = store->trials(s.id());
    auto record = store->session(s.id());
    if (!trials || !record) {
        err(!trials ? trials.error() : record.error());
        return kFailed;
    }
    const bool found = printSummary(record.value(), trials.value(), ended.value(), double(clock.nsecsElapsed()) / 1e9, db);
    // Scripts must tell a stopped session (130/143) and one where nothing succeeded (3) from success.
    if (guard.caught())
        return guard.exitCode();
    return found ? kOk : kNoResult;
}

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

int Cli::sessions(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption(databaseOption(QStringLiteral("Result database (default %1).").arg(defaultDatabase())));
    if (!parse(p, args, QStringLiteral("List the sessions of a result database.")))
        return kBadInput;
    const QString db = databasePath(p);
    auto store = openStoreForReading(db);
    if (!store)
        return kBadInput;
    auto list = store->sessions();
    if (!list) {
        err(list.error());
        return kFailed;
    }
    out(QStringLiteral("%1  %2  %3  %4  %5  %6").arg(QStringLiteral("id"), 4).arg(QStringLiteral("state"), -9)
            .arg(QStringLiteral("evals"), 6).arg(QStringLiteral("best"), 10).arg(QStringLiteral("strategy"), -8)
            .arg(QStringLiteral("kernel / device")));
    for (const SessionRecord& r : list.value()) {
        out(QStringLiteral("%1  %2  %3  %4  %5  %6 on %7").arg(r.id, 4).arg(r.state, -9).arg(r.trialCount, 6)
                .arg(r.bestMs ? Format::time(*r.bestMs) : QStringLiteral("-"), 10).arg(r.strategy, -8)
                .arg(r.kernel, r.device.id));
    }
    return kOk;
}

int Cli::space(const QStringList& args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("file"), QStringLiteral("Space file (docs/space-format.md)."));
    p.addOption({QStringLiteral("list"), QStringLiteral("Print the first N valid configurations."), QStringLiteral("N")});
    if (!parse(p, args, QStringLiteral("Check a configuration-space file and count its valid configurations."), true))
        return kBadInput;
    if (p.positionalArguments().size() != 1) {
        err(QStringLiteral("space: expected one space file"));
        return kBadInput;
    }
    qint64 list = 0;
    if (!intOption(p, QStringLiteral("list"), 0, list))
        return kBadInput;
    const QString path = p.positionalArguments().first();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        err(QStringLiteral("%1: cannot open: %2").arg(path, file.errorString()));
        return kBadInput;
    }
    QElapsedTimer clock;
    clock.start();
    auto space = ConfigSpace::fromJson(file.readAll(), path);
    if (!space) {
        err(space.error());
        return kBadInput;
    }
    out(QStringLiteral("%1: %2, %3, %4 valid after %5 (%6)")
            .arg(path, Format::count(space->dimensions(), QStringLiteral("parameter")),
                 Format::count(space->productSize(), QStringLiteral("combination"))).arg(space->size())
            .arg(Format::count(space->constraints().size(), QStringLiteral("constraint")),
                 Format::duration(double(clock.nsecsElapsed()) / 1e9)));
    for (qint64 i = 0; i < std::min<qint64>(list, space->size()); ++i)
        out(space->key(i));
    return kOk;
}

} // namespace dv

// `dejavu-tune tune`: runs or resumes a session, stored in a result database. The launch itself
// (checks, device, narrowing, store, new or resumed session) is core's SessionLaunch, shared with
// the studio; this file parses the options and shows the progress and the summary.
#include "Cli.h"

#include "CliSupport.h"
#include "ProgressBar.h"
#include "SignalGuard.h"
#include "base/Format.h"
#include "search/StrategyFactory.h"
#include "session/BestTrial.h"
#include "session/SessionLaunch.h"
#include "session/SessionState.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace dv {

using namespace cli;

namespace {

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
    if (record.state != sessionStateName(SessionState::Finished) || reason == QLatin1String("budget"))
        std::fprintf(stderr, "continue with: dejavu-tune tune --db %s --resume %lld [--budget TOTAL]\n", qPrintable(db),
                     record.id);
    return BestTrial::of(trials).has_value();
}

/// The launch request of the parsed options; false (after a message) when a number is malformed.
bool tuneRequest(const QCommandLineParser& p, LaunchRequest& r)
{
    qint64 budget = 0, seed = qint64(StrategyFactory::kDefaultSeed), resumeId = 0, latency = 0, patience = 0, remeasureTop = 5, remeasureRounds = 3,
           slotCount = 0;
    double seconds = 0;
    if (!intOption(p, QStringLiteral("budget"), 1, budget) || !intOption(p, QStringLiteral("seed"), 0, seed)
        || !intOption(p, QStringLiteral("remeasure"), 0, remeasureTop)
        || !intOption(p, QStringLiteral("remeasure-rounds"), 1, remeasureRounds)
        || !intOption(p, QStringLiteral("patience"), 1, patience)
        || !intOption(p, QStringLiteral("resume"), 1, resumeId) || !intOption(p, QStringLiteral("latency-ms"), 0, latency)
        || !intOption(p, QStringLiteral("slots"), 1, slotCount)
        || !doubleOption(p, QStringLiteral("time-limit"), seconds))
        return false;
    r.databasePath = databasePath(p);
    r.deviceId = p.value(QStringLiteral("device"));
    r.resumeId = resumeId;
    r.options = SessionOptions{p.value(QStringLiteral("strategy")), {}, quint64(seed), int(budget), seconds, int(patience),
                               TimingOptions{!p.isSet(QStringLiteral("hot-cache")), p.isSet(QStringLiteral("cuda-graph"))},
                               int(remeasureTop), int(remeasureRounds)};
    r.spaceFile = p.value(QStringLiteral("space"));
    r.simulatedLatencyMs = int(latency);
    r.slotCount = int(slotCount);
    for (const QString& name : p.optionNames())
        r.givenOptions.append(name);
    return true;
}

void addTuneOptions(QCommandLineParser& p)
{
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
    p.addOption({QStringLiteral("slots"), QStringLiteral("Evaluate on K device slots at once: K GPUs (default: as many as the device "
                                                         "names, e.g. cuda:0-3), K replays (each pausing --latency-ms) or K workers."),
                 QStringLiteral("K")});
    p.addOption({QStringLiteral("hot-cache"), QStringLiteral("GPU workers: do not flush the L2 cache between timed runs.")});
    p.addOption({QStringLiteral("cuda-graph"), QStringLiteral("GPU workers: time replays of a CUDA graph of many launches (launch-bound kernels).")});
    p.addOption({QStringLiteral("remeasure"), QStringLiteral("Re-measure the best K configurations at the end, interleaved (default 5; 0: off)."), QStringLiteral("K"), QStringLiteral("5")});
    p.addOption({QStringLiteral("remeasure-rounds"), QStringLiteral("Rounds of the re-measurement (default 3)."), QStringLiteral("R"), QStringLiteral("3")});
    p.addOption({QStringLiteral("space"), QStringLiteral("Search only this narrowing of the device's space (a space file: fewer values, extra constraints)."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("quiet"), QStringLiteral("No progress bar.")});
    p.addOption({QStringLiteral("print-trials"), QStringLiteral("Print each trial to stdout as a JSON line once it is stored (as `replay` does).")});
}

/// Runs a launched session with the progress bar (unless `quiet`) and prints its summary; whether
/// a configuration succeeded, or nullopt (after a message) when the device or the store failed.
std::optional<bool> runSession(LaunchedSession& launched, SignalGuard& guard, bool quiet, bool printTrials, const QString& db)
{
    Session& s = *launched.session;
    const Device& device = *launched.device;

    ProgressBar bar(stderr);
    // The session's best so far, the stored trials of a resumed session included.
    const auto stored = s.history().best();
    double best = stored ? stored->objectiveMs : std::numeric_limits<double>::infinity();
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

    const qint64 searched = s.space().size(), whole = device.workload().space.size();
    const QString spaceText = searched == whole ? QStringLiteral("%1 configurations").arg(whole)
                                                : QStringLiteral("%1 of the device's %2 configurations").arg(searched).arg(whole);
    const QString slotText = s.slotCount() > 1 ? QStringLiteral(", %1 slots").arg(s.slotCount()) : QString();
    std::fprintf(stderr, "session %lld: %s on %s (%s%s), %s, strategy %s, seed %llu\n", s.id(),
                 qPrintable(s.record().kernel), qPrintable(device.info().name), qPrintable(launched.deviceId),
                 qPrintable(slotText), qPrintable(spaceText), qPrintable(s.record().strategy), s.record().seed);
    guard.setSession(&s);
    QElapsedTimer clock;
    clock.start();
    auto ended = s.run();
    guard.setSession(nullptr);
    bar.finish();
    if (!ended) {
        err(ended.error());
        return std::nullopt;
    }
    auto trials = launched.store->trials(s.id());
    auto record = launched.store->session(s.id());
    if (!trials || !record) {
        err(!trials ? trials.error() : record.error());
        return std::nullopt;
    }
    return printSummary(record.value(), trials.value(), ended.value(), double(clock.nsecsElapsed()) / 1e9, db);
}

/// One session per GPU type of a mixed pool, run side by side (each in its own thread, with its
/// own connection to the result database); the exit status of the worst of them.
int runPool(const LaunchRequest& request, const std::vector<SessionLaunch::SlotGroup>& groups, SignalGuard& guard, bool printTrials)
{
    std::fprintf(stderr, "pool of %zu GPU types: %s; one session per type, side by side\n", groups.size(),
                 qPrintable(SessionLaunch::describe(groups)));
    // The schema is created once, before the sessions open the database at the same time.
    QDir().mkpath(QFileInfo(request.databasePath).absolutePath());
    if (auto store = ResultStore::open(request.databasePath); !store) {
        err(store.error());
        return kBadInput;
    }
    struct Member {
        std::thread thread;
        std::mutex mutex; // guards session against the interrupting main thread
        Session* session = nullptr;
        std::atomic<bool> done{false};
        int code = kOk;
    };
    std::mutex output;
    std::vector<std::unique_ptr<Member>> members;
    for (const SessionLaunch::SlotGroup& group : groups) {
        members.push_back(std::make_unique<Member>());
        Member* m = members.back().get();
        m->thread = std::thread([&, m, group] {
            auto launched = SessionLaunch::openOn(request, group);
            if (!launched) {
                std::lock_guard<std::mutex> lock(output);
                err(launched.error());
                m->code = kBadInput;
                m->done = true;
                return;
            }
            Session& s = *launched->session;
            QObject::connect(&s, &Session::trialFinished, [&](const Trial& t) {
                if (!printTrials)
                    return;
                std::lock_guard<std::mutex> lock(output);
                printTrialLine(s.space(), t);
                std::fflush(stdout);
            });
            {
                std::lock_guard<std::mutex> lock(output);
                std::fprintf(stderr, "session %lld: %s on %s (%d slots), strategy %s\n", s.id(), qPrintable(s.record().kernel),
                             qPrintable(group.front()->info().name), s.slotCount(), qPrintable(s.record().strategy));
            }
            {
                std::lock_guard<std::mutex> lock(m->mutex);
                m->session = &s;
            }
            QElapsedTimer clock;
            clock.start();
            auto ended = s.run();
            {
                std::lock_guard<std::mutex> lock(m->mutex);
                m->session = nullptr;
            }
            auto trials = launched->store->trials(s.id());
            auto record = launched->store->session(s.id());
            std::lock_guard<std::mutex> lock(output);
            if (!ended || !trials || !record) {
                err(!ended ? ended.error() : !trials ? trials.error() : record.error());
                m->code = kFailed;
            } else if (!printSummary(record.value(), trials.value(), ended.value(), double(clock.nsecsElapsed()) / 1e9,
                                     request.databasePath)) {
                m->code = kNoResult;
            }
            m->done = true;
        });
    }
    // Ctrl-C reaches every session of the pool.
    for (bool all = false; !all;) {
        all = true;
        for (auto& m : members) {
            all = all && m->done;
            if (guard.caught()) {
                std::lock_guard<std::mutex> lock(m->mutex);
                if (m->session)
                    m->session->interrupt();
            }
        }
        if (!all)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    int code = kOk;
    for (auto& m : members) {
        m->thread.join();
        if (m->code == kFailed || m->code == kBadInput || (m->code == kNoResult && code == kOk))
            code = m->code == kBadInput ? kFailed : m->code;
    }
    return guard.caught() ? guard.exitCode() : code;
}

} // namespace

int Cli::tune(const QStringList& args)
{
    QCommandLineParser p;
    addTuneOptions(p);
    if (!parse(p, args, QStringLiteral("Run or resume a tuning session.")))
        return kBadInput;
    LaunchRequest request;
    if (!tuneRequest(p, request))
        return kBadInput;
    // From here on Ctrl-C and SIGTERM end every wait (a worker's hello, load, a hung trial).
    SignalGuard guard;
    Result<LaunchedSession> launched = Error{QString()};
    if (request.resumeId == 0) {
        if (auto checked = SessionLaunch::checkNew(request); !checked) {
            err(checked.error());
            return kBadInput;
        }
        auto groups = SessionLaunch::openPool(request, guard.flag());
        if (!groups) {
            err(groups.error());
            return guard.caught() ? guard.exitCode() : kBadInput;
        }
        // GPUs of several types: one session each (a landscape never mixes GPUs).
        if (groups->size() > 1)
            return runPool(request, groups.value(), guard, p.isSet(QStringLiteral("print-trials")));
        launched = SessionLaunch::openOn(request, groups->front());
    } else {
        launched = SessionLaunch::open(request, guard.flag());
    }
    if (!launched) {
        err(launched.error());
        return guard.caught() ? guard.exitCode() : kBadInput;
    }
    const auto found = runSession(launched.value(), guard, p.isSet(QStringLiteral("quiet")), p.isSet(QStringLiteral("print-trials")),
                                  request.databasePath);
    if (!found)
        return kFailed;
    // Scripts must tell a stopped session (130/143) and one where nothing succeeded (3) from success.
    if (guard.caught())
        return guard.exitCode();
    return *found ? kOk : kNoResult;
}

} // namespace dv

#include "session/Session.h"

#include "space/SpaceRestriction.h"

#include "search/StrategyFactory.h"
#include "search/stop/AnyOf.h"
#include "search/stop/EvaluationLimit.h"
#include "search/stop/NoImprovement.h"
#include "search/stop/TimeLimit.h"
#include "session/BestTrial.h"

#include <QElapsedTimer>
#include <QSet>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

namespace dv {

Session::Session(ResultStore& store, std::shared_ptr<Device> device, SessionRecord record)
    : m_store(store)
    , m_device(std::move(device))
    , m_record(std::move(record))
{
    qRegisterMetaType<dv::Trial>();
    m_slots.push_back(m_device);
}

Result<void> Session::addSlot(std::shared_ptr<Device> device)
{
    if (!device)
        return Error{QStringLiteral("no device")};
    if (auto timed = device->setTiming(m_record.timing); !timed)
        return Error{timed.error()};
    const DeviceInfo info = device->info();
    const DeviceInfo first = m_device->info();
    if (info.name != first.name || info.toolchain != first.toolchain)
        return Error{QStringLiteral("slot %1 is %2 (%3), the session's first slot %4 (%5): one session never mixes GPUs; "
                                    "run one session per GPU type")
                         .arg(m_slots.size()).arg(info.name, info.toolchain, first.name, first.toolchain)};
    const Workload& w = device->workload();
    const Workload& mine = m_device->workload();
    if (w.kernel != mine.kernel || w.problem != mine.problem || w.space.toJson() != mine.space.toJson())
        return Error{QStringLiteral("slot %1 loaded %2 %3, the session's first slot %4 %5: every slot must load the same workload")
                         .arg(m_slots.size()).arg(w.kernel, w.problem, mine.kernel, mine.problem)};
    m_slots.push_back(std::move(device));
    return {};
}

Result<std::unique_ptr<Session>> Session::create(ResultStore& store, std::shared_ptr<Device> device,
                                                 const SessionOptions& options)
{
    if (options.maxEvaluations < 0 || options.maxSeconds < 0 || options.stallEvaluations < 0)
        return Error{QStringLiteral("the budget must not be negative")};
    if (options.remeasureTop < 0 || options.remeasureRounds < 0)
        return Error{QStringLiteral("the re-measurement counts must not be negative")};
    // Before the device's identity is read: the timing is part of its toolchain.
    if (auto timed = device->setTiming(options.timing); !timed)
        return Error{timed.error()};
    auto strategy = StrategyFactory::create(options.strategy, options.strategyOptions);
    if (!strategy)
        return Error{strategy.error()};
    const Workload& w = device->workload();
    SessionRecord r;
    r.state = sessionStateName(SessionState::Running);
    r.device = device->info();
    r.kernel = w.kernel;
    r.problem = w.problem;
    r.space = w.space.toJson();
    if (!options.space.isEmpty()) {
        auto narrowed = SpaceRestriction::apply(w.space, options.space, options.spaceSource);
        if (!narrowed)
            return Error{narrowed.error()};
        r.space = options.space;
    }
    r.strategy = options.strategy;
    r.strategyOptions = options.strategyOptions;
    r.seed = options.seed;
    r.budgetEvaluations = options.maxEvaluations;
    r.budgetSeconds = options.maxSeconds;
    r.budgetStall = options.stallEvaluations;
    r.timing = options.timing;
    r.remeasureTop = options.remeasureRounds > 0 ? options.remeasureTop : 0;
    r.remeasureRounds = options.remeasureTop > 0 ? options.remeasureRounds : 0;
    auto id = store.createSession(r);
    if (!id)
        return Error{id.error()};
    r.id = id.value();
    return assemble(store, std::move(device), std::move(r), std::move(strategy.value()));
}

Result<std::unique_ptr<Session>> Session::resume(ResultStore& store, std::shared_ptr<Device> device, qint64 id,
                                                 int maxEvaluations, double maxSeconds)
{
    auto record = store.session(id);
    if (!record)
        return Error{record.error()};
    SessionRecord r = record.value();
    if (auto timed = device->setTiming(r.timing); !timed)
        return Error{QStringLiteral("session %1: %2").arg(id).arg(timed.error())};
    const DeviceInfo info = device->info();
    const Workload& w = device->workload();
    if (info.name != r.device.name || info.toolchain != r.device.toolchain || w.kernel != r.kernel
        || w.problem != r.problem)
        return Error{QStringLiteral("session %1 tuned %2 %3 on %4 (%5); the device given is %6 %7 on %8 (%9)")
                         .arg(id).arg(r.kernel, r.problem, r.device.name, r.device.toolchain, w.kernel, w.problem,
                              info.name, info.toolchain)};
    if (maxEvaluations > 0 || maxSeconds > 0) {
        r.budgetEvaluations = maxEvaluations;
        r.budgetSeconds = maxSeconds;
        auto updated = store.setSessionBudget(id, maxEvaluations, maxSeconds);
        if (!updated)
            return Error{updated.error()};
    }
    auto strategy = StrategyFactory::create(r.strategy, r.strategyOptions);
    if (!strategy)
        return Error{strategy.error()};
    return assemble(store, std::move(device), std::move(r), std::move(strategy.value()));
}

Result<std::unique_ptr<Session>> Session::assemble(ResultStore& store, std::shared_ptr<Device> device,
                                                   SessionRecord record, std::unique_ptr<Strategy> strategy)
{
    std::unique_ptr<Session> session(new Session(store, std::move(device), std::move(record)));
    session->m_strategy = std::move(strategy);
    auto prepared = session->prepare();
    if (!prepared)
        return Error{prepared.error()};
    return session;
}

Result<void> Session::prepare()
{
    const ConfigSpace& deviceSpace = m_device->workload().space;
    if (m_record.space.isEmpty() || m_record.space == deviceSpace.toJson()) {
        m_space = deviceSpace;
    } else {
        auto narrowed = SpaceRestriction::apply(deviceSpace, m_record.space,
                                                QStringLiteral("session %1's space").arg(m_record.id));
        if (!narrowed)
            return Error{narrowed.error()};
        m_space = narrowed.value();
    }
    const ConfigSpace& space = m_space;
    m_history = SearchHistory(space.size());
    auto earlier = m_store.trials(m_record.id);
    if (!earlier)
        return Error{earlier.error()};
    for (const Trial& t : earlier.value()) {
        const qint64 index = space.indexOf(t.config);
        if (index < 0)
            return Error{QStringLiteral("session %1: stored trial %2 is not in the session's space").arg(m_record.id).arg(t.sequence)};
        m_history.add(Observation{index, t.measurement.status, t.measurement.objectiveMs});
    }
    auto known = m_store.knownMeasurements(m_record.kernel, m_record.problem, m_record.device);
    if (!known)
        return Error{known.error()};
    m_known = std::move(known.value());
    m_strategy->initialize(space, m_record.seed);
    // A resumed search goes on with the strategy's state after its last trial (portfolio
    // statistics, random engine, model fits), so it proposes what an uninterrupted one would.
    // A state that does not fit (another version's) leaves the freshly initialised strategy.
    if (!m_record.strategyState.isEmpty())
        m_strategy->restoreState(m_record.strategyState);
    return {};
}

int Session::evaluationBudget() const
{
    const qint64 size = m_space.size();
    return int(m_record.budgetEvaluations > 0 ? std::min<qint64>(m_record.budgetEvaluations, size) : size);
}

/// One slot's evaluation in flight, run in a thread of its own while the session thread commits
/// what the other slots finish.
struct Session::Flight {
    Trial trial;
    std::thread thread;
    Measurement measurement;
    bool interrupted = false;
    QString lost;
};

namespace {

/// Finished slots, reported by the evaluation threads to the session thread.
class Mailbox {
public:
    void post(int slot)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_done.push_back(slot);
        }
        m_ready.notify_one();
    }
    int take()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_ready.wait(lock, [&] { return !m_done.empty(); });
        const int slot = m_done.front();
        m_done.pop_front();
        return slot;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<int> m_done;
};

} // namespace

Result<void> Session::commit(Trial& trial, double elapsedBefore, qint64 clockNs, double& best, int& sinceImprovement)
{
    trial.sequence = m_history.count() + 1;
    trial.finishedAt = QDateTime::currentDateTimeUtc();
    m_record.elapsedMs = elapsedBefore + double(clockNs) / 1e6;
    // Committed before anything else happens: a kill after this line loses nothing.
    auto stored = m_store.appendTrial(trial, m_record.elapsedMs, m_strategy->saveState());
    if (!stored)
        return stored;
    if (!trial.fromStore)
        m_known.insert(trial.configKey, trial.measurement);
    m_history.add(Observation{trial.spaceIndex, trial.measurement.status, trial.measurement.objectiveMs});
    ++sinceImprovement;
    if (trial.measurement.isOk() && trial.measurement.objectiveMs < best) {
        best = trial.measurement.objectiveMs;
        sinceImprovement = 0;
    }
    ++m_record.trialCount;
    emit trialFinished(trial);
    emit progress(m_history.count(), evaluationBudget());
    return {};
}

Result<QString> Session::run()
{
    const ConfigSpace& space = m_space;
    const int budget = evaluationBudget();
    m_stopRequested = false;
    m_store.setSessionState(m_record.id, SessionState::Running);
    QElapsedTimer clock;
    clock.start();
    const double elapsedBefore = m_record.elapsedMs;

    AnyOf stop;
    stop.add(std::make_unique<EvaluationLimit>(budget));
    if (m_record.budgetSeconds > 0)
        stop.add(std::make_unique<TimeLimit>(m_record.budgetSeconds));
    if (m_record.budgetStall > 0)
        stop.add(std::make_unique<NoImprovement>(m_record.budgetStall));
    // Evaluations since the best time last improved, over the stored history too.
    int sinceImprovement = 0;
    double best = std::numeric_limits<double>::infinity();
    for (const Observation& o : m_history.observations()) {
        ++sinceImprovement;
        if (o.ok() && o.objectiveMs < best) {
            best = o.objectiveMs;
            sinceImprovement = 0;
        }
    }

    const int slotTotal = int(m_slots.size());
    std::vector<std::deque<qint64>> queues(static_cast<size_t>(slotTotal)); // proposals of a slot's batch, marked pending
    std::vector<std::unique_ptr<Flight>> flights(static_cast<size_t>(slotTotal));
    std::vector<bool> retired(size_t(slotTotal), false);
    Mailbox mailbox;
    int inFlight = 0;
    QString reason, lostMessage, failure;
    auto reserved = [&] {
        size_t queued = 0;
        for (const auto& q : queues)
            queued += q.size();
        return inFlight + int(queued);
    };
    auto release = [&](int slot) { // a slot's queue goes back: proposed again later
        for (qint64 index : queues[size_t(slot)])
            m_history.unmarkPending(index);
        queues[size_t(slot)].clear();
    };
    // Gives every free slot its next configuration; sets `reason` when the search should end.
    auto launch = [&]() -> Result<void> {
        for (int slot = 0; slot < slotTotal && reason.isEmpty(); ++slot) {
            while (!flights[size_t(slot)] && !retired[size_t(slot)] && reason.isEmpty()) {
                if (m_stopRequested || m_interrupted) {
                    reason = QStringLiteral("stopped");
                    break;
                }
                const double elapsed = elapsedBefore + double(clock.nsecsElapsed()) / 1e6;
                if (auto why = stop.check(StopContext{m_history.count() + inFlight, elapsed / 1000.0, sinceImprovement})) {
                    reason = *why == QLatin1String("budget") && m_history.takenCount() >= space.size()
                        ? QStringLiteral("exhausted") : *why;
                    break;
                }
                auto& queue = queues[size_t(slot)];
                if (queue.empty()) {
                    auto next = nextBatch(budget, reserved(), *m_slots[size_t(slot)]);
                    if (!next)
                        return Error{next.error()};
                    if (next->empty()) {
                        if (inFlight == 0)
                            reason = QStringLiteral("exhausted");
                        return {}; // nothing more now; a finished slot may change that
                    }
                    for (qint64 index : next.value()) {
                        m_history.markPending(index);
                        queue.push_back(index);
                    }
                }
                const qint64 index = queue.front();
                queue.pop_front();
                Trial trial;
                trial.sessionId = m_record.id;
                trial.spaceIndex = index;
                trial.config = space.config(index);
                trial.configKey = ConfigSpace::keyOf(trial.config);
                trial.startedAt = QDateTime::currentDateTimeUtc();
                const auto known = m_known.constFind(trial.configKey);
                if (known != m_known.constEnd()) {
                    trial.measurement = known.value();
                    trial.fromStore = true;
                    trial.slot = -1;
                    if (auto stored = commit(trial, elapsedBefore, clock.nsecsElapsed(), best, sinceImprovement); !stored)
                        return stored;
                    continue;
                }
                trial.slot = slot;
                auto flight = std::make_unique<Flight>();
                flight->trial = trial;
                Flight* f = flight.get();
                Device* device = m_slots[size_t(slot)].get();
                emit slotStarted(slot, trial.config);
                flight->thread = std::thread([f, device, slot, &mailbox] {
                    f->measurement = device->evaluate(f->trial.config);
                    f->interrupted = device->evaluationInterrupted();
                    f->lost = device->lostReason();
                    mailbox.post(slot);
                });
                flights[size_t(slot)] = std::move(flight);
                ++inFlight;
            }
        }
        return {};
    };

    emit progress(m_history.count(), budget);
    while (true) {
        if (reason.isEmpty() && failure.isEmpty()) {
            if (auto launched = launch(); !launched)
                failure = launched.error();
        }
        if (inFlight == 0)
            break;
        const int slot = mailbox.take();
        std::unique_ptr<Flight> flight = std::move(flights[size_t(slot)]);
        flight->thread.join();
        --inFlight;
        Trial& trial = flight->trial;
        if (flight->interrupted) {
            // Cut short by Ctrl-C: nothing was measured, so nothing is stored; a resumed session
            // proposes this configuration again.
            m_interrupted = true;
            m_history.unmarkPending(trial.spaceIndex);
            release(slot);
            continue;
        }
        if (!flight->lost.isEmpty()) {
            // The configuration never ran: not stored (a crash would blame it), proposed again.
            m_history.unmarkPending(trial.spaceIndex);
            release(slot);
            retired[size_t(slot)] = true;
            lostMessage = QStringLiteral("the device is gone (%1); configuration %2 did not run and was not stored, "
                                         "--resume proposes it again")
                              .arg(flight->lost, trial.configKey);
            emit slotLost(slot, flight->lost);
            if (std::find(retired.begin(), retired.end(), false) == retired.end() && failure.isEmpty())
                failure = lostMessage;
            continue;
        }
        trial.measurement = flight->measurement;
        if (!failure.isEmpty())
            m_history.unmarkPending(trial.spaceIndex);
        else if (auto stored = commit(trial, elapsedBefore, clock.nsecsElapsed(), best, sinceImprovement); !stored)
            failure = stored.error();
    }
    for (int slot = 0; slot < slotTotal; ++slot)
        release(slot);
    if (!failure.isEmpty()) {
        m_store.setSessionState(m_record.id, SessionState::Failed);
        emit failed(failure);
        return Error{failure};
    }
    if (m_interrupted || (reason.isEmpty() && m_stopRequested))
        reason = QStringLiteral("stopped");
    if (reason.isEmpty())
        reason = QStringLiteral("exhausted");
    if (reason != QLatin1String("stopped") && m_record.remeasureTop > 0 && m_record.remeasureRounds > 0) {
        if (auto done = remeasure(); !done) {
            m_store.setSessionState(m_record.id, SessionState::Failed);
            emit failed(done.error());
            return Error{done.error()};
        }
        if (m_stopRequested || m_interrupted)
            reason = QStringLiteral("stopped");
    }
    const SessionState end = reason == QLatin1String("stopped") || reason == QLatin1String("time limit")
            || reason == QLatin1String("no improvement")
        ? SessionState::Stopped : SessionState::Finished;
    m_record.state = sessionStateName(end);
    m_store.setSessionState(m_record.id, end);
    emit finished(reason);
    return reason;
}

Result<std::vector<qint64>> Session::nextBatch(int budget, int reserved, Device& slot)
{
    const ConfigSpace& space = m_space;
    const int ahead = slot.prepareAhead();
    // A batch never reaches past the budget, so that the strategy proposes exactly what is evaluated.
    const int room = budget - m_history.count() - reserved;
    if (room <= 0)
        return std::vector<qint64>{};
    const int count = ahead > 0 ? std::max(1, std::min(ahead, room)) : 1;
    std::vector<qint64> next = m_strategy->propose(m_history, count);
    QSet<qint64> seen;
    QVector<QJsonObject> unknown;
    for (qint64 index : next) {
        if (index < 0 || index >= space.size() || m_history.isTaken(index) || seen.contains(index))
            return Error{QStringLiteral("strategy '%1' proposed configuration %2, which is outside the space or already taken")
                             .arg(m_record.strategy).arg(index)};
        seen.insert(index);
        const QJsonObject config = space.config(index);
        if (!m_known.contains(ConfigSpace::keyOf(config)))
            unknown.append(config);
    }
    if (ahead > 0 && !unknown.isEmpty())
        slot.prepare(unknown);
    return next;
}

Result<void> Session::remeasure()
{
    if (m_device->repeatsExactly())
        return {}; // a replay answers with the recorded times again: nothing to learn
    auto trials = m_store.trials(m_record.id);
    if (!trials)
        return Error{trials.error()};
    // The best ok configurations of the search by their search time.
    QVector<Trial> top;
    for (const Trial& t : trials.value()) {
        if (BestTrial::isExportable(t.measurement))
            top.append(t);
    }
    std::stable_sort(top.begin(), top.end(), [](const Trial& a, const Trial& b) {
        return a.measurement.objectiveMs < b.measurement.objectiveMs;
    });
    if (top.size() > m_record.remeasureTop)
        top.resize(m_record.remeasureTop);
    if (top.size() < 2)
        return {}; // nothing to compare
    auto last = m_store.lastRemeasurePass(m_record.id);
    if (!last)
        return Error{last.error()};
    const int total = int(top.size()) * m_record.remeasureRounds;
    int done = 0;
    emit remeasureProgress(done, total);
    // Round-robin: every round measures each configuration once, in the same order, so that
    // a drift in clock or temperature reaches all of them alike.
    for (int round = 1; round <= m_record.remeasureRounds; ++round) {
        for (int position = 1; position <= top.size(); ++position) {
            if (m_stopRequested || m_interrupted)
                return {};
            const Trial& t = top[position - 1];
            Remeasurement r;
            r.sessionId = m_record.id;
            r.pass = last.value() + 1;
            r.round = round;
            r.position = position;
            r.configKey = t.configKey;
            r.config = t.config;
            r.measurement = m_device->evaluate(t.config);
            if (m_device->evaluationInterrupted()) {
                m_interrupted = true;
                return {}; // measured nothing: not stored
            }
            if (const QString lost = m_device->lostReason(); !lost.isEmpty())
                return Error{QStringLiteral("the device is gone during the re-measurement (%1); nothing was stored for it").arg(lost)};
            r.measuredAt = QDateTime::currentDateTimeUtc();
            if (auto stored = m_store.appendRemeasurement(r); !stored)
                return stored;
            emit remeasureProgress(++done, total);
        }
    }
    return {};
}

} // namespace dv

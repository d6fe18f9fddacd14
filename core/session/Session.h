#pragma once

#include "device/Device.h"
#include "search/SearchHistory.h"
#include "search/Strategy.h"
#include "search/StrategyFactory.h"
#include "session/ResultStore.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace dv {

/// How a new session searches and when it stops.
struct SessionOptions {
    QString strategy = StrategyFactory::defaultName();
    QJsonObject strategyOptions;
    quint64 seed = StrategyFactory::kDefaultSeed;
    int maxEvaluations = 0; ///< 0: until the strategy has nothing more to propose
    double maxSeconds = 0;  ///< 0: no wall-time limit
    int stallEvaluations = 0; ///< stop after this many evaluations without improvement; 0: never
    TimingOptions timing{};   ///< given to the device before the session starts (part of its toolchain)
    /// At the end of the search the best `remeasureTop` ok configurations are measured again in
    /// `remeasureRounds` interleaved rounds (A B C, A B C, ...); 0 for either: no re-measurement.
    int remeasureTop = 5;
    int remeasureRounds = 3;
    /// A narrowing of the device's space to search instead of all of it (fewer values, extra
    /// constraints; SpaceRestriction), in the space file format; empty: the device's whole space.
    QJsonObject space{};
    QString spaceSource = QStringLiteral("space"); ///< names the narrowed space in error messages
};

/// Runs a strategy against a device under a budget, committing every trial to the result store
/// as soon as it finishes. A configuration already measured for the same kernel, problem,
/// device and toolchain is answered from the store instead of the device.
///
/// A device that can use configurations ahead of time (Device::prepareAhead() > 0, a worker
/// that compiles in parallel) gets the strategy's proposals in batches of that size, announced
/// with Device::prepare() before the first of them is evaluated. When the search ends (budget,
/// time limit, no improvement, exhausted; not on stop()), the best configurations are
/// re-measured in interleaved rounds and stored (ResultStore::appendRemeasurement); BestTrial
/// then ranks by the median of the rounds.
///
/// Device slots: a session may run on K devices of one kind at once (addSlot(): K GPUs of one
/// type, K Ray actors, K replays), keeping up to K evaluations in flight. A slot that frees gets
/// the next proposal at once, made with the configurations in flight marked pending (the
/// strategy neither repeats them nor, for bayes, ignores them: constant liars); each trial is
/// committed as it finishes, so a kill loses only what was in flight, which a resumed session
/// proposes again. A slot whose device is lost is retired and its configuration freed; the
/// session fails (resumable) only when no slot is left. The final re-measurement runs on the
/// first slot alone, so that the rounds compare like with like.
///
/// run() blocks; call it in a worker thread for the studio (the store must be opened in that
/// thread) and connect to the signals with queued connections. stop() may be called from any thread.
class Session : public QObject {
    Q_OBJECT
public:
    /// Starts a new session on `device`'s workload.
    static Result<std::unique_ptr<Session>> create(ResultStore& store, std::shared_ptr<Device> device,
                                                   const SessionOptions& options);
    /// Reopens stored session `id` to continue it on `device`, which must be the same device
    /// (name and toolchain) and workload. A budget > 0 replaces the stored one.
    static Result<std::unique_ptr<Session>> resume(ResultStore& store, std::shared_ptr<Device> device,
                                                   qint64 id, int maxEvaluations = 0, double maxSeconds = 0);

    /// Adds a device slot: another device of the same GPU (name and toolchain) and workload as the
    /// session's, e.g. the next GPU of the host. The session's timing is set on it. An error
    /// (naming both GPUs) when it is another GPU or workload: one landscape never mixes GPUs.
    Result<void> addSlot(std::shared_ptr<Device> device);
    int slotCount() const { return int(m_slots.size()); }

    qint64 id() const { return m_record.id; }
    const SessionRecord& record() const { return m_record; }
    const SearchHistory& history() const { return m_history; }
    /// The space this session searches: the device's, or the narrowing it was created with.
    const ConfigSpace& space() const { return m_space; }
    /// Budget in evaluations, or the space size when unlimited.
    int evaluationBudget() const;

    /// Runs until the budget is spent, the strategy is exhausted, stop() is called or the store
    /// fails. Returns the reason it ended ("budget", "time limit", "no improvement", "exhausted", "stopped").
    Result<QString> run();
    /// Asks a running session to end after the trials in progress (stored when they finish).
    void stop() { m_stopRequested = true; }
    /// Ends the session as soon as the trial in flight returns, for good (a later run() does no
    /// trial). Only an atomic store: callable from a signal handler. A device opened with an
    /// interrupt flag (Ctrl-C) gives up its evaluation at once; an evaluation it reports as
    /// interrupted (Device::evaluationInterrupted) measured nothing and is not stored, so the
    /// session stays resumable with every finished trial.
    void interrupt() { m_interrupted = true; }

signals:
    void trialFinished(const dv::Trial& trial);
    /// Slot `slot` started measuring `config` (after it is stored the trial comes with trialFinished).
    void slotStarted(int slot, const QJsonObject& config);
    /// Slot `slot`'s device is gone (`why`); the session goes on with the others.
    void slotLost(int slot, const QString& why);
    void progress(int evaluations, int budget);
    /// During the final re-measurement: `done` of `total` evaluations.
    void remeasureProgress(int done, int total);
    void finished(const QString& reason);
    void failed(const QString& message);

private:
    Session(ResultStore& store, std::shared_ptr<Device> device, SessionRecord record);
    /// The part of create() and resume() after the record exists: strategy, stored history, memory.
    static Result<std::unique_ptr<Session>> assemble(ResultStore& store, std::shared_ptr<Device> device,
                                                     SessionRecord record, std::unique_ptr<Strategy> strategy);
    Result<void> prepare();
    struct Flight;
    /// Proposals for `slot` to evaluate next (one, or a batch for a device that prepares ahead),
    /// with `reserved` evaluations already in flight or queued; empty when there is none now.
    Result<std::vector<qint64>> nextBatch(int budget, int reserved, Device& slot);
    /// Stores a finished trial and updates the history; the running best and stall count.
    Result<void> commit(Trial& trial, double elapsedBefore, qint64 clockNs, double& best, int& sinceImprovement);
    Result<void> remeasure();

    ResultStore& m_store;
    std::shared_ptr<Device> m_device;
    std::vector<std::shared_ptr<Device>> m_slots; ///< m_slots[0] is m_device
    SessionRecord m_record;
    ConfigSpace m_space;
    std::unique_ptr<Strategy> m_strategy;
    SearchHistory m_history;
    QHash<QString, Measurement> m_known;
    std::atomic<bool> m_stopRequested{false};
    std::atomic<bool> m_interrupted{false};
};

} // namespace dv

Q_DECLARE_METATYPE(dv::Trial)

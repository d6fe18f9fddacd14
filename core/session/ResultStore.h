#pragma once

#include "base/Result.h"
#include "device/Device.h"
#include "session/Remeasurement.h"
#include "session/SessionState.h"
#include "session/Trial.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QVector>

#include <memory>
#include <optional>

namespace dv {

/// A tuning session as stored: what was tuned where, how, and how far it got.
struct SessionRecord {
    qint64 id = 0;
    QString state; ///< sessionStateName(): "running", "paused", "stopped", "finished", "failed"
    DeviceInfo device;
    QString kernel;
    QString problem;
    QJsonObject space;
    QString strategy;
    QJsonObject strategyOptions;
    quint64 seed = 0;
    int budgetEvaluations = 0; ///< 0: until the space is exhausted
    double budgetSeconds = 0;  ///< 0: no time limit
    int budgetStall = 0;       ///< stop after this many evaluations without improvement; 0: never
    TimingOptions timing{};    ///< how the device timed (hot cache, CUDA graphs)
    int remeasureTop = 0;      ///< how many of the best configurations are re-measured at the end; 0: none
    int remeasureRounds = 0;   ///< in how many interleaved rounds
    double elapsedMs = 0;      ///< wall time spent in the session so far, over all runs
    QDateTime createdAt;
    QDateTime updatedAt;
    int trialCount = 0;
    /// The session's best time as BestTrial picks it: the median of the interleaved
    /// re-measurement when the session has one, else the fastest ok trial.
    std::optional<double> bestMs;
    /// What the strategy needs beyond the seed and the history to go on exactly where it stopped
    /// (Strategy::saveState after the latest trial); empty for strategies without such state.
    QJsonObject strategyState;
};

/// The SQLite result store (Qt SQL, WAL journal, synchronous=FULL). Every trial is committed in
/// its own transaction before the session moves on, so killing the process loses nothing that
/// finished. One instance per thread: Qt SQL connections belong to the thread that opened them.
class ResultStore {
public:
    /// How a store is opened. ReadOnly uses SQLite's own read-only open (immutable when the file
    /// has no write-ahead log to read), so nothing is written: no journal mode, no tables, no upgrade.
    enum class Access { ReadWrite, ReadOnly };

    /// Opens or creates the database; ":memory:" gives a private in-memory store. The path must
    /// be a regular file or not exist yet (ReadWrite creates it). A SQLite file of another
    /// program (tables but no store marker) and an unknown schema_version are refused untouched.
    static Result<std::unique_ptr<ResultStore>> open(const QString& path, Access access = Access::ReadWrite);
    /// For commands that only read (listing, export): a store this process may write is opened
    /// as usual (an older schema is upgraded), one it may not (a read-only mount, another user's
    /// file) read-only.
    static Result<std::unique_ptr<ResultStore>> openForReading(const QString& path);
    /// Whether this process may write the store: the file and its directory (SQLite puts the
    /// write-ahead log next to it). access(2) answers, so a read-only mount says no even to root.
    static bool isWritable(const QString& path);
    bool isReadOnly() const { return m_readOnly; }
    ~ResultStore();
    ResultStore(const ResultStore&) = delete;
    ResultStore& operator=(const ResultStore&) = delete;

    const QString& path() const { return m_path; }

    Result<qint64> createSession(const SessionRecord& record);
    Result<SessionRecord> session(qint64 id);
    /// All sessions, newest first.
    Result<QVector<SessionRecord>> sessions();
    Result<void> setSessionState(qint64 id, SessionState state);
    /// The state as text, as a bundle or an older caller gives it (stored as given).
    Result<void> setSessionState(qint64 id, const QString& state);
    Result<void> setSessionBudget(qint64 id, int evaluations, double seconds);

    /// Commits one trial and the session's elapsed time in a single transaction (inside an
    /// open Transaction: part of that one).
    /// Commits a trial together with the session's elapsed time and the strategy's state after it.
    Result<void> appendTrial(const Trial& trial, double sessionElapsedMs, const QJsonObject& strategyState = {});

    /// All-or-nothing writes: between begin and commit every write of this store joins one
    /// transaction; a Transaction destroyed without commit() rolls everything back. Not nested.
    class Transaction {
    public:
        ~Transaction();
        Transaction(Transaction&& other) noexcept;
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        Transaction& operator=(Transaction&&) = delete;
        Result<void> commit();

    private:
        friend class ResultStore;
        explicit Transaction(ResultStore* store) : m_store(store) {}
        ResultStore* m_store;
    };
    Result<Transaction> transaction();
    /// The session's trials in evaluation order.
    Result<QVector<Trial>> trials(qint64 sessionId);
    /// Every configuration already measured (not itself answered from the store) for this
    /// kernel, problem, device name and toolchain: config key -> measurement.
    Result<QHash<QString, Measurement>> knownMeasurements(const QString& kernel, const QString& problem,
                                                          const DeviceInfo& device);

    /// Commits one evaluation of a re-measurement in its own transaction.
    Result<void> appendRemeasurement(const Remeasurement& r);
    /// Every re-measurement of the session, in the order they were taken.
    Result<QVector<Remeasurement>> remeasurements(qint64 sessionId);
    /// The highest re-measurement pass of the session, 0 when it has none.
    Result<int> lastRemeasurePass(qint64 sessionId);

private:
    explicit ResultStore(QString path, QString connection);
    Result<void> migrate(Access access);
    Result<void> upgradeFrom(int version);
    /// Replaces the SQL's fastest-trial best by BestTrial's choice when the session was re-measured.
    Result<void> applyRemeasuredBest(SessionRecord& record, int remeasurements);
    QString m_path;
    QString m_connection;
    bool m_inTransaction = false; ///< a Transaction is open: appendTrial joins it
    bool m_readOnly = false;
};

} // namespace dv

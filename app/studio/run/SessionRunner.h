#pragma once

#include "session/Session.h"
#include "session/SessionLaunch.h"
#include "space/ConfigSpace.h"

#include <QMutex>
#include <QObject>
#include <QJsonObject>
#include <QVector>

#include <atomic>

namespace dv::studio {

/// What the setup panel asks for: a new session (resumeId == 0) or the continuation of one,
/// launched by core's SessionLaunch (the same recipe as `dejavu-tune tune`).
struct RunRequest : LaunchRequest {
    /// Set when the user asked to search the space editor's narrowing but it has errors: the run
    /// fails with this message instead of silently searching the whole space.
    QString spaceError;
};

/// Runs one session at a time in the thread it lives in (a worker QThread of the main window).
/// The result store is opened inside run(), so its SQL connection belongs to that thread; the
/// GUI sees only this object's signals, delivered by queued connection.
///
/// Pausing ends the run after the trial in flight (every finished trial is already committed)
/// and marks the stored session "paused"; resuming is a new run() with resumeId set, which
/// continues the same session through Session::resume.
///
/// A new session whose slots are GPUs of several types (SessionLaunch::openPool gives more
/// than one group) runs one session per type, as `dejavu-tune tune` does: the first type's in
/// this thread (the session started() names), each other's in a thread of its own with its
/// own store connection (poolSessionStarted()). Stop and Pause reach them all; the run ends
/// when every one has ended.
class SessionRunner : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    /// Blocks until the session ends or pauses; call through a queued invocation in the worker thread.
    /// A stop or pause requested before it starts (after clearRequests()) applies to this run.
    void run(const RunRequest& request);
    /// Forgets earlier stop and pause requests; call before queueing run().
    void clearRequests();
    /// Thread-safe: ends the running session after the trial in progress.
    void requestStop();
    /// Thread-safe: like requestStop(), but the session is left resumable and reported as paused.
    void requestPause();

signals:
    void started(qint64 sessionId, const QString& title, const dv::ConfigSpace& space);
    /// Another session of a pool of GPU types started (after started() for the first).
    void poolSessionStarted(qint64 sessionId, const QString& title);
    /// A session (the one started() names or one of its pool) runs on `slotCount` slots of `gpu`.
    void slotsReady(qint64 sessionId, const QString& gpu, int slotCount);
    /// Session::slotStarted and slotLost, with the session they belong to.
    void slotStarted(qint64 sessionId, int slot, const QJsonObject& config);
    void slotLost(qint64 sessionId, int slot, const QString& why);
    /// Expected best of random search per evaluation, when the device is a recorded landscape.
    void referenceReady(const QVector<double>& expectedBestMs);
    void trialFinished(const dv::Trial& trial);
    void progress(int evaluations, int budget);
    /// The run stopped at a pause request; run() again with resumeId = sessionId to continue.
    /// (For a pool: every session of it is marked paused; sessionId is the first.)
    void paused(qint64 sessionId);
    /// For a pool: the first session's reason (each session's state is in the store).
    void finished(const QString& reason);
    void failed(const QString& message);

private:
    void interrupt(bool pause);
    /// Runs one launched session (connecting its signals) until it ends; the reason, or an error.
    /// `first`: the session started() announces, else one of a pool.
    Result<QString> runLaunched(LaunchedSession& launched, bool first);
    /// Runs the sessions of a pool of GPU types (groups.size() > 1) to their end.
    void runPool(const RunRequest& request, const std::vector<SessionLaunch::SlotGroup>& groups);
    /// Emits finished, paused or failed for a run that ended with `reason`.
    void report(const Result<QString>& reason, qint64 sessionId);
    /// referenceReady() for a session over a whole recorded landscape.
    void emitReference(const LaunchedSession& launched);

    QMutex m_mutex;
    QVector<Session*> m_sessions; ///< guarded by m_mutex; those running, valid only inside run()
    std::atomic<bool> m_stopRequested{false};
    std::atomic<bool> m_pauseRequested{false};
};

} // namespace dv::studio

Q_DECLARE_METATYPE(dv::ConfigSpace)

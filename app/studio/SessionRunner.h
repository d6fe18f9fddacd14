#pragma once

#include "ConfigSpace.h"
#include "Session.h"

#include <QMutex>
#include <QObject>
#include <QVector>

#include <atomic>

namespace dv::studio {

/// What the setup panel asks for: a new session (resumeId == 0) or the continuation of one.
struct RunRequest {
    QString databasePath;
    QString deviceId;
    SessionOptions options;
    qint64 resumeId = 0;
    int simulatedLatencyMs = 0; ///< replay devices only: stands in for a GPU's pace (demos, tests)
};

/// Runs one session at a time in the thread it lives in (a worker QThread of the main window).
/// The result store is opened inside run(), so its SQL connection belongs to that thread; the
/// GUI sees only this object's signals, delivered by queued connection.
class SessionRunner : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    /// Blocks until the session ends; call through a queued invocation in the worker thread.
    void run(const RunRequest& request);
    /// Thread-safe: ends the running session after the trial in progress.
    void requestStop();

signals:
    void started(qint64 sessionId, const QString& title, const dv::ConfigSpace& space);
    /// Expected best of random search per evaluation, when the device is a recorded landscape.
    void referenceReady(const QVector<double>& expectedBestMs);
    void trialFinished(const dv::Trial& trial);
    void progress(int evaluations, int budget);
    void finished(const QString& reason);
    void failed(const QString& message);

private:
    QMutex m_mutex;
    Session* m_session = nullptr; ///< guarded by m_mutex; valid only inside run()
    std::atomic<bool> m_stopRequested{false};
};

} // namespace dv::studio

Q_DECLARE_METATYPE(dv::ConfigSpace)

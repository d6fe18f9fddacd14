#pragma once

#include "base/Result.h"
#include "device/Device.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>

namespace dv {

/// What a front-end asks for: a new session on a device, or the continuation of a stored one.
/// Options are named in errors as `dejavu-tune tune` spells them (--budget, --space, ...).
struct LaunchRequest {
    QString databasePath;
    /// A new session: required. A resumed one: empty takes the stored session's device, except
    /// one that starts a process (a worker command line read from the store is data: it runs
    /// only when the user gives it again).
    QString deviceId;
    qint64 resumeId = 0; ///< > 0: continue this stored session
    /// A new session: how it searches and stops. A resumed one keeps its own; only
    /// maxEvaluations (the session's new total, above what is stored) and maxSeconds apply.
    SessionOptions options;
    /// A narrowing of the device's space read from this file (the space file format); empty:
    /// options.space, if any.
    QString spaceFile;
    int simulatedLatencyMs = 0; ///< replay devices only: stands in for a GPU's pace (demos, tests)
    /// bayes: a recorded dataset of the same kernel whose landscape warm-starts a new session
    /// (WarmStart, the strategy's "prior" option); empty: cold start.
    QString warmStartDeviceId;
    /// The options the user gave explicitly, by name ("hot-cache", "remeasure", ...). A resumed
    /// session refuses those it keeps as stored (keptOnResume()).
    QStringList givenOptions;
};

/// A ready session with what it runs on. Members are destroyed bottom-up: the session before
/// the device and the store it uses.
struct LaunchedSession {
    std::unique_ptr<ResultStore> store;
    std::shared_ptr<Device> device;
    QString deviceId; ///< the id the device was opened with (the stored one on a plain resume)
    std::unique_ptr<Session> session;
};

/// The one recipe that turns a request into a ready Session, for the CLI's `tune`, the studio's
/// runner and the ladder: check the request, open the device (replay latency, timing), read and
/// check the space narrowing and the warm start, and only then create the result database and
/// the session (new or resumed). Every problem is one error naming the option or file; nothing
/// is written before every input is checked.
class SessionLaunch {
public:
    /// `interrupt`, when given, ends every wait of a worker device (its hello, a hung trial).
    static Result<LaunchedSession> open(const LaunchRequest& request, const std::atomic<bool>* interrupt = nullptr);
    /// The options a stored session keeps: how it times and re-measures, and its space.
    static QStringList keptOnResume();

    // The steps of open(), for a front-end that opens several devices before it starts one
    // session on each in one store (the ladder).

    /// Opens `deviceId` with the request's timing (an error only for a new session: a resumed
    /// one sets its stored timing) and replay latency.
    static Result<std::shared_ptr<Device>> openDevice(const QString& deviceId, const LaunchRequest& request,
                                                      const std::atomic<bool>* interrupt = nullptr);
    /// The options of a new session on `device`: the narrowing read (spaceFile) and checked, the
    /// warm start's prior added. Writes nothing.
    static Result<SessionOptions> sessionOptions(const LaunchRequest& request, const Device& device);

private:
    /// Checks a resume against the stored session; the device id to open.
    static Result<QString> checkResume(const LaunchRequest& request, ResultStore& store);
    /// Reads request.spaceFile into `options` and checks the narrowing against the device's space.
    static Result<void> applySpace(const LaunchRequest& request, const Device& device, SessionOptions& options);
};

} // namespace dv

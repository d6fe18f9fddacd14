#pragma once

#include "base/Result.h"
#include "device/Device.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

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
    /// Device slots (DeviceRegistry::openSlots): 0 as many as the device id names (one GPU each
    /// of "cuda:0-3"; one for a single device), else that many (K replays, K workers).
    int slotCount = 0;
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
    std::shared_ptr<Device> device; ///< the first slot
    std::vector<std::shared_ptr<Device>> slotDevices; ///< every slot, the first included
    QString deviceId; ///< the id the device was opened with (the stored one on a plain resume)
    std::unique_ptr<Session> session;

    /// Adds slotDevices after the first to the session (Session::addSlot).
    Result<void> addSlots();
};

/// The one recipe that turns a request into a ready Session, for the CLI's `tune`, the studio's
/// runner and the ladder: check the request, open the device (replay latency, timing), read and
/// check the space narrowing and the warm start, and only then create the result database and
/// the session (new or resumed). Every problem is one error naming the option or file; nothing
/// is written before every input is checked.
class SessionLaunch {
public:
    /// `interrupt`, when given, ends every wait of a worker device (its hello, a hung trial).
    /// Slots of more than one GPU type are an error here (one session never mixes GPUs): a new
    /// session on a mixed pool is openPool() and one openOn() per type.
    static Result<LaunchedSession> open(const LaunchRequest& request, const std::atomic<bool>* interrupt = nullptr);
    /// A new session's slots (request.deviceId, request.slotCount), opened with the request's
    /// timing and latency and grouped by GPU type (name and toolchain), in the order of their
    /// first slot: one group for a host of one GPU type, one per type for a mixed pool.
    using SlotGroup = std::vector<std::shared_ptr<Device>>;
    /// The checks of a new session's request that need no device (--device given, strategy known).
    static Result<void> checkNew(const LaunchRequest& request);
    static Result<std::vector<SlotGroup>> openPool(const LaunchRequest& request, const std::atomic<bool>* interrupt = nullptr);
    /// A new session on the slots of one group: checks the options (space, warm start), creates
    /// the result database (opened in the calling thread: each session of a pool runs in its own)
    /// and the session with every slot added.
    static Result<LaunchedSession> openOn(const LaunchRequest& request, const SlotGroup& group);
    /// "NVIDIA H100 (2 slots), NVIDIA A100 (2 slots)": what a pool holds, for messages.
    static QString describe(const std::vector<SlotGroup>& groups);
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
    /// The request's timing (an error only for a new session) and replay latency, on one device.
    static Result<void> configure(Device& device, const LaunchRequest& request);
    static Result<std::vector<SlotGroup>> openGroups(const QString& deviceId, const LaunchRequest& request,
                                                     const std::atomic<bool>* interrupt);
    /// Checks a resume against the stored session; the device id to open.
    static Result<QString> checkResume(const LaunchRequest& request, ResultStore& store);
    /// Reads request.spaceFile into `options` and checks the narrowing against the device's space.
    static Result<void> applySpace(const LaunchRequest& request, const Device& device, SessionOptions& options);
};

} // namespace dv

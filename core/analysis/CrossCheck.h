#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"
#include "device/Device.h"
#include "session/ResultStore.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace dv {

class Session;

/// What one stored session of a comparison lacks: the best few configurations of the other
/// landscapes that it never measured (issue 16 item 5).
struct CrossCheckTarget {
    int column = -1;         ///< the session's landscape in the comparison
    qint64 sessionId = 0;    ///< the stored session the measurements complete
    QString name;            ///< its label in the comparison
    DeviceInfo storedDevice; ///< the device it ran on, as stored: shown, never opened
    QVector<QJsonObject> configs; ///< to measure on that GPU, in order, each in its space, none measured there yet
    QStringList from;        ///< the landscapes whose best configurations these are
};

/// The cross-check of a GPU comparison over stored sessions, which sample each space sparsely:
/// each landscape's best few configurations measured on the GPU of every compared session that
/// never ran them, so that the portability matrix has a measured value off its diagonal and the
/// rank correlations share configurations. The measurements are a new stored session on the
/// target session's GPU (strategy "refresh" with "crossCheck", and "crossCheckOf": the target's
/// id), which LandscapeSource::session merges into the target's landscape. The device is the
/// caller's: a stored device id is data, shown in messages, never opened from here.
class CrossCheck {
public:
    /// The best configurations of each landscape offered to the others.
    static constexpr int kDefaultCount = 3;

    /// The cross-check sessions of `landscapes`: `sessionIds[i]` is the stored session behind
    /// landscape i, 0 for a recorded dataset (complete: nothing to measure). Targets with nothing
    /// missing are left out. `store` gives the stored devices.
    static Result<QVector<CrossCheckTarget>> plan(ResultStore& store, const std::vector<Landscape>& landscapes,
                                                  const QList<qint64>& sessionIds, int count = kDefaultCount);

    /// Whether `device` is the target session's platform: the same kernel, problem, GPU and
    /// toolchain (after its stored timing is set), so the measurements belong with the session's.
    /// The error names both.
    static Result<void> checkDevice(ResultStore& store, const CrossCheckTarget& target, Device& device, const QString& deviceId);

    /// Opens the device the user gave for each target (`devices`: target session id -> device
    /// id; SessionLaunch::openDevice, `interrupt` ends a worker's waits) and checks each with
    /// checkDevice, before anything is measured. A target without a device is refused with the
    /// stored device shown (never opened); errors name the session and the device.
    static Result<std::vector<std::shared_ptr<Device>>> openDevices(ResultStore& store, const QVector<CrossCheckTarget>& targets,
                                                                     const QHash<qint64, QString>& devices,
                                                                     const std::atomic<bool>* interrupt = nullptr);

    /// Measures the target's configurations on `device` (checked with checkDevice) as a new stored
    /// session; its id. `running`, when given, is called with the session before it runs and with
    /// null after (Ctrl-C handling, a studio's stop button).
    static Result<qint64> run(ResultStore& store, const CrossCheckTarget& target, std::shared_ptr<Device> device,
                              const QString& deviceId, const std::function<void(Session*)>& running = {});

    /// One line per target for messages: what it lacks, and the stored device to give again.
    static QString describe(const CrossCheckTarget& target);
};

} // namespace dv

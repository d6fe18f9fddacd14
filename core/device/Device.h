#pragma once

#include "base/Result.h"
#include "device/Measurement.h"
#include "space/ConfigSpace.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace dv {

/// Who measured: enough to decide whether an earlier measurement may be reused.
struct DeviceInfo {
    QString id;        ///< how the user names it: "replay:h100/triton_matmul_...", "cuda:0", ...
    QString name;      ///< the GPU's own name ("NVIDIA H100 80GB HBM3")
    QString backend;   ///< "replay", "cuda", "hip", "triton"
    QString toolchain; ///< compiler/runtime identity; a different toolchain is a different device
    QJsonObject details;
};

/// What is being tuned: a kernel, a problem instance and its configuration space.
struct Workload {
    QString kernel;
    QString problem; ///< canonical text of the problem (e.g. "[4096,4096,4096]")
    ConfigSpace space;
};

/// How a device times a configuration (docs/worker-protocol.md, evaluate options).
struct TimingOptions {
    bool flushL2 = true;   ///< false: hot-cache timing (L2 not flushed between timed runs)
    bool cudaGraph = false; ///< time replays of a CUDA graph of many launches (launch-bound kernels)
    bool isDefault() const { return flushL2 && !cudaGraph; }
    bool operator==(const TimingOptions& o) const { return flushL2 == o.flushL2 && cudaGraph == o.cudaGraph; }
};

/// Evaluates configurations of one workload. Implementations may block (a GPU worker compiles
/// and times); sessions call them from their own thread.
class Device {
public:
    virtual ~Device() = default;
    virtual DeviceInfo info() const = 0;
    virtual const Workload& workload() const = 0;
    /// Compiles, verifies and times one configuration. Never throws: failures are statuses.
    virtual Measurement evaluate(const QJsonObject& config) = 0;

    /// How many upcoming configurations the device can put to use before they are evaluated
    /// (a worker that compiles ahead in parallel); 0: none, and prepare() is never called.
    virtual int prepareAhead() const { return 0; }
    /// True for a device whose answer for a configuration never changes (a replay of recorded
    /// times): measuring it again teaches nothing, so the final re-measurement is skipped.
    virtual bool repeatsExactly() const { return false; }
    /// Says which configurations will be evaluated next, in order; returns without waiting for
    /// any work. A hint only: evaluate() is correct whether or not it was called.
    virtual void prepare(const QVector<QJsonObject>& configs) { Q_UNUSED(configs); }
    /// True when the last evaluate() gave up because the interrupt flag the device was opened
    /// with became true (Ctrl-C, SIGTERM): it measured nothing, so a session drops it instead of
    /// storing it, and ends.
    virtual bool evaluationInterrupted() const { return false; }
    /// Why the last evaluate() measured nothing because the device itself is gone (a worker that
    /// cannot be started again: its GPU taken by someone else, its host or Ray slot lost); empty
    /// otherwise. The configuration never ran, so a session stores nothing for it (recording it
    /// as crashed would blame it and never try it again) and ends, resumable.
    virtual QString lostReason() const { return {}; }
    /// Changes how later evaluations are timed. A device that measures nothing itself (a replay)
    /// accepts only the default. The timing is part of DeviceInfo::toolchain, so that
    /// measurements taken differently are never mixed or reused for one another.
    virtual Result<void> setTiming(const TimingOptions& timing)
    {
        if (timing.isDefault())
            return {};
        return Error{QStringLiteral("device '%1' does not time kernels itself (hot-cache and CUDA-graph timing need a GPU worker)")
                         .arg(info().id)};
    }
};

} // namespace dv

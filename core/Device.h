#pragma once

#include "ConfigSpace.h"
#include "Measurement.h"
#include "Result.h"

#include <QJsonObject>
#include <QString>

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

/// Evaluates configurations of one workload. Implementations may block (a GPU worker compiles
/// and times); sessions call them from their own thread.
class Device {
public:
    virtual ~Device() = default;
    virtual DeviceInfo info() const = 0;
    virtual const Workload& workload() const = 0;
    /// Compiles, verifies and times one configuration. Never throws: failures are statuses.
    virtual Measurement evaluate(const QJsonObject& config) = 0;
};

} // namespace dv

#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace dv {

/// A GPU model and its CUDA compute capability, as NVIDIA publishes them
/// (developer.nvidia.com/cuda-gpus).
struct KnownGpu {
    QString model; ///< "H100", "RTX 4090": the words a device name holds
    int major = 0;
    int minor = 0;

    QString capability() const { return QStringLiteral("%1.%2").arg(major).arg(minor); }
    bool sameArchitecture(const KnownGpu& o) const { return major == o.major && minor == o.minor; }
};

/// Which GPUs share an architecture. Triton keys its autotune cache on the compute capability
/// (the CUDA backend's hash is the ptxas version and the arch, "90" for every sm_90 GPU), not on
/// the GPU's name, so a cache tuned on an H100 is silently used on an H200.
class GpuArchitecture {
public:
    /// The table, NVIDIA data-centre and workstation GPUs and the GeForce RTX 30/40/50 series.
    static const QVector<KnownGpu>& knownGpus();
    /// The model a device name ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB",
    /// "NVIDIA GeForce RTX 4090") names: its words contain the model's words in order ("GH200"
    /// is not "H200", "L40S" not "L40"); nothing for a GPU not in the table.
    static std::optional<KnownGpu> of(const QString& deviceName);
    /// The other models of the same compute capability as `deviceName`'s.
    static QStringList sharingWith(const QString& deviceName);
};

} // namespace dv

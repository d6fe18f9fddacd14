#pragma once

#include "base/Result.h"
#include "device/Measurement.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QVector>

namespace dv {

/// Which fused-MoE layer a tuned-config file is for: the values vLLM's get_config_file_name()
/// puts in the name it looks up.
struct VllmMoeTarget {
    int experts = 0;            ///< E
    int n = 0;                  ///< N (for int4_w4a16 vLLM looks up twice the w2 N)
    QString dtype;              ///< empty for fp16/bf16; fp8_w8a8, int8_w8a16, int4_w4a16, ...
    QVector<int> blockShape;    ///< [block_n, block_k] of block quantisation, or empty
    QString deviceName;         ///< the GPU's name as NVML / torch report it ("NVIDIA H100 80GB HBM3")
    QString tritonVersion;      ///< optional; written as "triton_version", which vLLM drops on load
};

/// The fused-MoE layer one session tuned: its problem `[M, E, N, K, topk, "dtype"]`
/// (kernels/triton/kernels/fused_moe.py, canonical_problem), N being vLLM's N per shard.
struct VllmMoeProblem {
    qint64 m = 0;
    qint64 experts = 0;
    qint64 n = 0;
    qint64 k = 0;
    qint64 topk = 0;
    QString dtype;
};

/// One batch size M and the configuration tuned for it.
struct VllmEntry {
    qint64 m = 0;
    QJsonObject config;         ///< BLOCK_SIZE_M/N/K, GROUP_SIZE_M, num_warps, num_stages (aliases allowed)
    Measurement measurement;
    QString deviceName;         ///< the GPU that measured it
    QString origin;             ///< for messages
};

/// One entry's body: vLLM's names and order, each value an integer.
using VllmFields = QVector<QPair<QString, qint64>>;

/// Writes the JSON files vLLM's fused MoE layer loads from VLLM_TUNED_CONFIG_FOLDER or its
/// configs/ directory: name and body as vLLM derives and reads them, refusing what it would
/// not find or could not use.
class VllmConfigExporter {
public:
    /// Whether a session's kernel is the fused MoE kernel vLLM's files configure: a name with
    /// the word "fused_moe" (the Triton worker's `fused_moe`, its space `triton_fused_moe_fp16`).
    static bool isFusedMoeKernel(const QString& kernel);
    /// A session's layer from its kernel name and problem text, or why it is no fused-MoE session
    /// (the error names the field).
    static Result<VllmMoeProblem> moeProblem(const QString& kernel, const QString& problem);
    /// Why the session's layer does not belong in `target`'s file (E, N, dtype differ), or nothing.
    static Result<void> checkLayer(const VllmMoeTarget& target, const VllmMoeProblem& layer);
    /// The six values the kernel takes from each entry, in the order vLLM's tuner writes them.
    static QStringList requiredKeys();
    /// vLLM's device part of the name: spaces become '_', and any H200 becomes "NVIDIA_H200".
    static QString deviceNameForFile(const QString& deviceName);
    /// E=..,N=..,device_name=..[,dtype=..][,block_shape=[..]].json, or why it cannot be.
    static Result<QString> fileName(const VllmMoeTarget& target);
    /// One configuration in vLLM's names (aliases resolved) and order, or why the kernel could not
    /// launch with it (`who` names it in the message). sglang's files take the same entries.
    static Result<VllmFields> entryFields(const QJsonObject& config, const QString& who);
    /// {"<M>": {...}, ...} by ascending M in json.dump(indent=4) layout, with "triton_version"
    /// first when given (vLLM drops it; sglang would fail on it, so it passes none).
    static QByteArray bodyText(const QMap<qint64, VllmFields>& body, const QString& tritonVersion);
    /// The entries by M, each checked (ok and verified, measured on the file's GPU as
    /// `deviceForFile` names it, one per M, vLLM's parameters); `consumer` names the program in
    /// messages. sglang's exporter uses the same rules with its own device naming.
    static Result<QMap<qint64, VllmFields>> collect(const QVector<VllmEntry>& entries, const QString& fileDevice,
                                                    QString (*deviceForFile)(const QString&), const QString& consumer);
    /// Whether `back` (a written body read back) holds exactly `body`.
    static Result<void> checkReadBack(const QMap<qint64, VllmFields>& body, const QMap<qint64, QJsonObject>& back, const QString& name);
    /// The file's body: {"<M>": {...}, ...} by ascending M (json.dump(indent=4) layout).
    static Result<QByteArray> render(const VllmMoeTarget& target, const QVector<VllmEntry>& entries);
    /// Reads a body with vLLM's rules (drop "triton_version", int() every key).
    static Result<QMap<qint64, QJsonObject>> parse(const QByteArray& json, const QString& source);
    /// The entry vLLM uses for batch size `m`: the nearest key, ties to the smaller.
    static qint64 nearestKey(const QMap<qint64, QJsonObject>& configs, qint64 m);
    /// Renders, reads back and writes `dir`/fileName atomically; an existing different file is
    /// replaced only with `force`. Returns the path written.
    static Result<QString> write(const VllmMoeTarget& target, const QVector<VllmEntry>& entries, const QString& dir,
                                 bool force);
};

} // namespace dv

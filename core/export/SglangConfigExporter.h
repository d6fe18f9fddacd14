#pragma once

#include "base/Result.h"
#include "export/VllmConfigExporter.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

namespace dv {

/// Writes sglang's fused-MoE tuned-config files: the same entries as vLLM's (VllmConfigExporter
/// checks them), under sglang's own rules, as sglang-project/sglang reads them in
/// python/sglang/srt/layers/moe/fused_moe_triton/fused_moe_triton_config.py (get_config_file_name,
/// get_moe_configs; read at commit c050f40d99a18cc9b2119f74d31b9e512d45b9b4 and a later main):
/// - the folder `configs/triton_<triton.__version__ with '.' -> '_'>/` below sglang's config
///   directory (SGLANG_MOE_CONFIG_DIR, default the module's own folder): one folder per Triton;
/// - the name `E=<E>,N=<N>,device_name=<torch.cuda.get_device_name() with ' ' -> '_'>
///   [,dtype=<dtype>][,block_shape=[<n>, <k>]].json`: no H200 family rule (vLLM has one), and the
///   block shape printed as a Python list, with a space;
/// - N is w2's last dimension as sglang reads it, with no doubling for int4_w4a16 (vLLM doubles);
/// - the body {"<M>": {...}}: every key goes through int(), so no "triton_version" member.
class SglangConfigExporter {
public:
    /// The dtype names sglang's get_config_dtype_str() returns (none for fp16/bf16).
    static QStringList knownDtypes();
    /// sglang's device part of the name: spaces become '_', nothing else.
    static QString deviceNameForFile(const QString& deviceName);
    /// "triton_3_4_0" for "3.4.0"; refuses what is not numbers and dots (a local build
    /// "3.4.0+git1234" makes a folder newer sglang versions fail on when they list the folders).
    static Result<QString> versionFolder(const QString& tritonVersion);
    /// The Triton version a session's toolchain text records ("triton, driver ..., triton 3.4.0,
    /// torch ..."), or empty when it records none (a replay).
    static QString tritonVersionOf(const QString& toolchain);
    /// The file name, or why it cannot be (target.tritonVersion is not part of it).
    static Result<QString> fileName(const VllmMoeTarget& target);
    /// configs/triton_X_Y_Z/<fileName>.
    static Result<QString> relativePath(const VllmMoeTarget& target);
    /// Why the session's layer does not belong in the file (E, N, dtype), or nothing.
    static Result<void> checkLayer(const VllmMoeTarget& target, const VllmMoeProblem& layer);
    /// The body, read back with sglang's rules before it is returned.
    static Result<QByteArray> render(const VllmMoeTarget& target, const QVector<VllmEntry>& entries);
    /// Renders and writes `dir`/relativePath() atomically (SafeFile); returns the path written.
    static Result<QString> write(const VllmMoeTarget& target, const QVector<VllmEntry>& entries, const QString& dir, bool force);
};

} // namespace dv

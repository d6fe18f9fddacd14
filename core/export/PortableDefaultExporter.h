#pragma once

#include "analysis/PortableConfig.h"
#include "base/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace dv {

/// Writes the most portable configuration (PortableConfig) as the default for GPUs that have no
/// tuned entry (docs/exports.md, "The portable default"):
/// - `dejavu`: a Python module defining `fallback_heuristic(key)`, the callable
///   `@triton_dejavu.autotune(..., fallback_heuristic=...)` calls on a cache miss when
///   TRITON_DEJAVU_FORCE_FALLBACK=1 (triton-dejavu 0.7.5, autotuner.py). `informed_fallback`
///   is only consulted when the GPU's own restored cache is non-empty, which a GPU with no entry's
///   is not, so it is not written;
/// - `vllm`: the body of a vLLM fused-MoE config file with one entry (key 1), which vLLM's
///   nearest-batch-size lookup serves at every M. vLLM has no default file: without a file for the
///   GPU it calls get_default_config(), a heuristic in code; saved under the name vLLM derives for
///   such a GPU, this file replaces that heuristic;
/// - `json`: the configuration and how it was chosen, for anything else.
class PortableDefaultExporter {
public:
    enum class Criterion { Minimax, Geomean };

    static QStringList formats();
    /// The file's bytes, or why this configuration cannot be written in `format` (vLLM's kernel
    /// takes only its own parameters; a value Python cannot hold as a literal).
    static Result<QByteArray> render(const QString& format, const PortableConfig& portable, Criterion criterion,
                                     const QString& kernel);
    /// Renders and writes `path` through SafeFile (a regular file, atomically; another file there
    /// only with `force`). Nothing is written on any refusal.
    static Result<void> write(const QString& format, const PortableConfig& portable, Criterion criterion,
                              const QString& kernel, const QString& path, bool force);
};

} // namespace dv

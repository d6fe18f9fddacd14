#pragma once

#include "base/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace dv {

/// The decorator arguments of `@triton_dejavu.autotune` that go into the autotune_config hash
/// (dejavu-cache-format.md §2). Defaults are the decorator's own.
struct DejavuAutotuneParams {
    int warmup = 25;
    int rep = 100;
    bool useCudaGraph = false;          ///< already `use_cuda_graph and torch.cuda.is_available()`
    std::optional<QVector<double>> quantiles;
    bool useBo = false;
    bool useRandomSearch = false;
    std::optional<qint64> maxSearchN;   ///< n_trials as dejavu computed it (None unless BO/random)
    int searchMaxSearchT = 180;
    bool hashSearchParams = true;       ///< TRITON_DEJAVU_HASH_SEARCH_PARAMS == "1"
};

/// What only the Python side knows about a deployment: filled by the Triton worker (or by hand,
/// docs/exports.md "deployment file"), turned into every path component and hash by DejavuExporter.
struct DejavuDeployment {
    QString dejavuVersion = QStringLiteral("0.7.5"); ///< triton_dejavu.__version__
    QString tritonVersion;      ///< triton.__version__, verbatim
    QString runtime = QStringLiteral("cuda"); ///< "cuda" or "rocm" (torch.version.hip truthy)
    /// The runtime version, first match wins: `runtimeVersion` (what
    /// _TRITON_DEJAVU_DETERMINED_CUDA/ROCM_VERSION would hold), the version in `toolOutput`
    /// (`ptxas --version` or `amdgpu-arch --version`), then "torch_" + `torchRuntimeVersion`.
    QString runtimeVersion;
    QString toolOutput;
    QString torchRuntimeVersion;
    QString gpuName;            ///< torch.cuda.get_device_name(), unmodified
    QString tag = QStringLiteral("default"); ///< TRITON_DEJAVU_TAG
    QString signature;          ///< str(jit_fn): "JITFunction(module:name)"
    QString source;             ///< jit_fn.src (from `def` to the end of the body, final newline)
    QString weakFnHash;         ///< DependenciesFinder(...).ret if known; else sha256(source)
    QStringList argNames;       ///< jit_fn.arg_names (optional, for checking the key names)
    QStringList argDtypes;      ///< str(a.dtype) of every tensor argument, in argument order
    QStringList keys;           ///< the autotune `key` argument names, in order
    QStringList configs;        ///< str(c) for every config, in the order dejavu constructs them
    DejavuAutotuneParams params;
    bool ignoreDtypes = false;
    /// For exports from the result store: the positions in a session's problem array that hold
    /// the key values, in key order (default 0, 1, ...).
    QVector<int> keyFromProblem;

    /// Reads the deployment file; errors name `source` and the field.
    static Result<DejavuDeployment> fromJson(const QByteArray& json, const QString& source);
};

} // namespace dv

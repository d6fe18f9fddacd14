#pragma once

#include "base/Result.h"
#include "device/Measurement.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace dv {

/// The inputs of Triton's on-disk autotune cache (Autotuner.check_disk_cache, Triton >= 3.4)
/// that only the deployment's Triton knows; written by kernels/triton/deployment.py
/// (its `triton_cache` object, docs/exports.md).
struct TritonCacheDeployment {
    QString tritonVersion;
    QString gpuName;            ///< torch.cuda.get_device_name() of the deployment (optional)
    QString fnName;             ///< the JIT function's __name__
    /// [triton_key(), backend hash, fn.cache_key, str(sorted(cache-invalidating env vars))]
    QStringList hashPrefix;
    QStringList keyNames;       ///< the autotune `key` argument names
    QVector<int> keyFromProblem;///< position of each key value in a session's problem
    QStringList dtypes;         ///< str(dtype) of every argument that has one, in argument order
    QStringList configs;        ///< [str(c) for c in autotuner.configs], in order
    QStringList configFields;   ///< list(triton.Config({}).__dict__) of that Triton
    QJsonObject configDefaults; ///< field -> value of a default Config, for fields str() does not print
    /// Triton's own result for one problem: the exporter's hashing must reproduce it.
    struct Check {
        QVector<qint64> keyValues;
        QString tuningKey;
        QString directory;
        QString fileName;
    };
    std::optional<Check> check;

    /// Reads deployment.py's output (the `triton_cache` member) or that object alone.
    static Result<TritonCacheDeployment> fromJson(const QByteArray& json, const QString& source);
};

/// One tuned key: the values of the key arguments and the winning configuration.
struct TritonCacheEntry {
    QVector<qint64> keyValues;
    QJsonObject config;         ///< parameter name -> value, as the session measured it
    Measurement measurement;    ///< ok and verified
    QString deviceName;
    QString origin;             ///< "session 4", for messages
};

/// One rendered `<fn>.autotune.json` and the cache directory it goes in.
struct TritonCacheFile {
    QString directory;          ///< base32(sha256(hash inputs)) without padding
    QString fileName;           ///< "<fn.__name__[:150]>.autotune.json"
    QString tuningKey;          ///< str(key tuple), e.g. "(256, 4096, 4096, 'torch.float16')"
    QString configString;       ///< str(triton.Config) of the exported configuration
    QByteArray json;            ///< json.dumps({"key": ..., "configs_timings": ...})
    QString origin;
    QString relativePath() const { return directory + QLatin1Char('/') + fileName; }
};

/// Writes the files Triton's autotuner reads with `cache_results=True` (or
/// TRITON_CACHE_AUTOTUNING=1) from TRITON_CACHE_DIR, so a deployment starts without
/// benchmarking. Every file is read back with the autotuner's own rules before anything is
/// written, and entries it would ignore or mis-read are refused.
class TritonCacheExporter {
public:
    /// Python's str() of the autotuner key tuple: key values, then the dtype strings.
    static QString tuningKey(const QVector<qint64>& keyValues, const QStringList& dtypes);
    /// base64.b32encode(digest) without the "=" padding (triton.runtime.cache._base32).
    static QString base32(const QByteArray& digest);
    /// The cache directory name for one key tuple.
    static QString directoryName(const TritonCacheDeployment& deployment, const QString& tuningKey);
    static QString fileName(const QString& fnName);
    /// A config string split into (name, value text) pairs, in order.
    static Result<QVector<QPair<QString, QString>>> parseConfigString(const QString& config);

    static Result<QVector<TritonCacheFile>> render(const TritonCacheDeployment& deployment,
                                                   const QVector<TritonCacheEntry>& entries);
    /// What the autotuner restores from `json`: the str() of the config it picks (the minimal
    /// timings), or why Triton would fail or ignore it.
    static Result<QString> readBack(const TritonCacheDeployment& deployment, const QByteArray& json);
    /// Writes the files below `root` (the deployment's TRITON_CACHE_DIR). Every target is checked
    /// first: an existing file with other content is replaced only with `force`, an identical one
    /// is left alone; new directories appear by one rename each. Returns the written paths.
    static Result<QStringList> write(const QVector<TritonCacheFile>& files, const QString& root, bool force);
};

} // namespace dv

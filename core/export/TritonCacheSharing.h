#pragma once

#include "session/ResultStore.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

namespace dv {

/// One exported Triton autotune-cache entry: the problem it was tuned for and its configuration.
struct SharedCacheEntry {
    qint64 key = 0;
    QString kernel;
    QString problem;
    QJsonObject config;
};

/// Warnings for a Triton autotune-cache export (`--format triton-cache`): Triton keys the cache
/// on the compute capability, not the GPU's name (GpuArchitecture), so every GPU of the tuned
/// GPU's architecture loads the export as its own. Names those GPUs and, where the store holds
/// sessions of the same kernel and problem on one of them, what the exported configuration costs
/// there against that session's best, that it fails there, or that it was never measured there.
class TritonCacheSharing {
public:
    /// `tunedOn`: the GPU the export was measured on. Sessions are read from `store`; one that
    /// cannot be read is named in a warning and skipped (the export stands).
    static QStringList warnings(ResultStore& store, const QString& tunedOn, const QVector<SharedCacheEntry>& entries);
};

} // namespace dv

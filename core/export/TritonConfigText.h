#pragma once

#include "base/Result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

#include <utility>

namespace dv {

/// The text triton-dejavu and Triton write and read back: `str(triton.Config)` for a given Triton,
/// the config list a `triton_dejavu.ConfigSpace` generates, and the key strings of a cache entry,
/// each with the consumer's own parsing rule (dejavu-cache-format.md §2, §5). The deployment reader
/// (DejavuDeployment) and the cache writer (DejavuExporter) both use it.
class TritonConfigText {
public:
    /// (major, minor) of a version such as "3.6.0" or "3.3.1+git1234"; (-1, -1) if unreadable.
    static std::pair<int, int> majorMinor(const QString& version);
    /// The launch options `str(triton.Config)` appends after the kwargs, in order, with their
    /// defaults (dejavu-cache-format.md §2 table); empty for a Triton we know nothing about.
    static QVector<QPair<QString, QJsonValue>> launchOptions(const QString& tritonVersion);
    /// The key string of a cache entry: str(tuple(str(v) for v in key + dtypes)).
    static QString keyString(const QStringList& elements);
    /// The consumer's `_create_tuple`: what a key string restores to.
    static QStringList parseKeyString(const QString& key, bool ignoreDtypes);
    /// The consumer's `_create_config_args`: kwargs and launch options a config string restores
    /// to, as JSON values (int, bool, null or string), or why the import would fail.
    static Result<QJsonObject> parseConfigString(const QString& config);
    /// `str(triton.Config)` as Triton `tritonVersion` prints it, from kwargs (in order) and the
    /// launch options (num_warps, num_stages, num_ctas, maxnreg, ...; missing ones take the
    /// Config defaults of that Triton). For spaces without Python conditions.
    static Result<QString> configString(const QVector<QPair<QString, QJsonValue>>& kwargs,
                                        const QJsonObject& options, const QString& tritonVersion);
    /// The config list a `triton_dejavu.ConfigSpace(kwargs, **options)` without conditions
    /// generates (§5): kwargs product outermost (last name fastest), then the launch options in
    /// alphabetical order (last fastest); each option is a list of values.
    static Result<QStringList> configSpaceStrings(const QVector<QPair<QString, QVector<QJsonValue>>>& kwargs,
                                                  const QJsonObject& options, const QString& tritonVersion);
};

} // namespace dv

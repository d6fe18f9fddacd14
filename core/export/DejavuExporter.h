#pragma once

#include "base/Result.h"
#include "device/Measurement.h"
#include "export/DejavuDeployment.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace dv {

/// One tuned problem key: the values of the key arguments and the configuration that won.
struct DejavuEntry {
    QStringList keyValues;      ///< str() of each key argument value, in key order ("4096")
    QStringList dtypes;         ///< empty: the deployment's argDtypes
    QJsonObject config;         ///< parameter name -> value, as the session measured it
    Measurement measurement;    ///< must be ok and verified
    QString deviceName;         ///< the GPU that measured it
    double benchSeconds = 0;    ///< wall time spent tuning this key
    QString origin;             ///< for messages: "session 4"
};

/// A rendered triton-dejavu cache: where it goes below TRITON_DEJAVU_STORAGE and what it holds.
struct DejavuCacheFile {
    QString storageIdentifier;  ///< dejavu_0.7/triton_.../cuda_.../gpu_...
    QString folder;             ///< fn/autotune_config-P/code_version-C/tune_features-K/kernel_configs-G/tag
    QString paramString;        ///< the text hashed into P
    QString kernelConfigsString;///< the text hashed into G
    QByteArray json;            ///< cache.json, as Python's json.dump(indent=4) writes it
    QStringList warnings;       ///< things that will work but deserve a look (e.g. Triton >= 3.4)

    QString relativePath() const { return storageIdentifier + QLatin1Char('/') + folder + QStringLiteral("/cache.json"); }
};

/// Writes the storage tree triton-dejavu 0.7.x restores from (dejavu-cache-format.md), and refuses
/// anything the library would silently ignore: every key and config string is read back with the
/// library's own parsing rules (TritonConfigText) before a byte is written.
class DejavuExporter {
public:
    static QString sha256Hex(const QString& text);
    /// The `dejavu_<MM>/triton_<TV>/<RT>/gpu_<GPU>` part.
    static Result<QString> storageIdentifier(const DejavuDeployment& deployment);
    /// The text whose hash is the autotune_config component.
    static QString paramString(const DejavuAutotuneParams& params);
    /// fn_name: str(jit_fn).split(":")[1][:-1].
    static Result<QString> functionName(const QString& signature);

    /// Renders path and file; refuses (with a message naming the entry and field) any entry the
    /// library would not restore, or that is not an ok, verified measurement.
    static Result<DejavuCacheFile> render(const DejavuDeployment& deployment, const QVector<DejavuEntry>& entries);
    /// Writes `file` below `root` atomically: either the whole new subtree appears (one rename)
    /// or nothing does. An existing different cache.json is replaced only with `force`; an
    /// identical one is left alone. Returns the path of cache.json.
    static Result<QString> write(const DejavuCacheFile& file, const QString& root, bool force);
};

} // namespace dv

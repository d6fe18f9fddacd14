#pragma once

#include "ResultStore.h"
#include "Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace dv {

/// One tuned problem key of one GPU in a bundle: where its session is and what it achieved.
struct BundleEntry {
    QString gpu;            ///< the GPU's own name
    qint64 key = 0;         ///< the problem key (the value at the bundle's key position)
    QString problem;        ///< the session's problem text
    QString kernel;         ///< the session's kernel name
    QString strategy;
    int evaluations = 0;
    double bestMs = 0;      ///< the best exportable time (BestTrial's rule: re-measured median first)
    QJsonObject bestConfig;
    QString toolchain;      ///< the device's toolchain identity (compiler, runtime versions)
    QString driver;         ///< the driver version when the worker reported one
    QString sessionMember;  ///< "sessions/<n>.json"
    QString source;         ///< where it came from (set by merge; "" in a single bundle)
};

/// A bundle member's catalogue line in the manifest.
struct BundleMemberInfo {
    QString path;
    qint64 size = 0;
    QString sha256;
};

/// manifest.json: what the bundle holds and the checksums that guard it.
struct BundleManifest {
    static constexpr int kVersion = 1;
    QString kernel;
    int keyPosition = 0;
    QString createdAt;      ///< ISO 8601 UTC
    QVector<BundleEntry> entries;
    QVector<BundleMemberInfo> members; ///< every member except manifest.json, sorted by path
    QString contentSha256;  ///< sha256 over "path\nsha256\n" of every member, in path order

    QByteArray toJson() const;
    /// Checks the schema: every field present with the right type, names the field otherwise.
    static Result<BundleManifest> fromJson(const QByteArray& json);
};

/// Limits for reading untrusted archives.
struct BundleLimits {
    qint64 maxMemberBytes = 64ll << 20;
    qint64 maxTotalBytes = 512ll << 20;
    qint64 maxArchiveBytes = 256ll << 20;
    int maxMembers = 20000;
};

/// What an import did.
struct BundleImportReport {
    QVector<qint64> newSessions;  ///< ids in the target store
    int skippedSessions = 0;      ///< already in the store
    QStringList writtenFiles;     ///< export files written below the export directory
    QStringList unchangedFiles;   ///< export files that were already there, identical
};

/// A portable file (tar.gz) with a campaign's sessions and exports for one or more GPUs:
/// `manifest.json`, `sessions/<n>.json` (a session and its trials, importable into a result
/// store) and `exports/...` (files written by the exporters, laid out as their consumers read
/// them). Reading validates everything before anything is used: the archive's entries (regular
/// files only, relative paths without `..`, size limits), the manifest's schema, each member's
/// size and sha256, the content checksum and each session member's schema.
class Bundle {
public:
    BundleManifest manifest;
    QMap<QString, QByteArray> members; ///< path -> bytes, manifest.json excluded

    /// Collects sessions (their best per BestTrial) and the files below each export directory
    /// (stored as exports/<name>/<relative path>).
    static Result<Bundle> fromSessions(ResultStore& store, const QVector<qint64>& ids, int keyPosition, const QString& kernel,
                                       const QMap<QString, QString>& exportDirs);
    /// The archive bytes (deterministic: sorted members, fixed times and owners).
    Result<QByteArray> toArchive() const;
    /// Writes the archive atomically; an existing file is replaced only with `force`.
    Result<void> write(const QString& path, bool force) const;

    /// Reads and validates an archive (see the class comment); errors name `source` and the member.
    static Result<Bundle> fromArchive(const QByteArray& archive, const QString& source, const BundleLimits& limits = {});
    static Result<Bundle> read(const QString& path, const BundleLimits& limits = {});

    /// Imports the sessions into `store` (sessions already there are skipped) and writes the
    /// export files below `exportRoot` (none when empty). Every target file is checked first: an
    /// existing different file is replaced only with `force`; on refusal nothing is written.
    Result<BundleImportReport> importInto(ResultStore& store, const QString& exportRoot, bool force) const;
    /// The check importInto() makes first, for callers that must refuse before they create a
    /// database: every export file below `exportRoot` by SafeFile's rule (no link on the way,
    /// regular files only, other content only with `force`). Returns the files already there,
    /// identical; writes nothing.
    Result<QStringList> checkExports(const QString& exportRoot, bool force) const;

    /// Merges two bundles of the same kernel: per (key, GPU) the faster entry, its session with
    /// it; export files present in one or identical in both are kept, differing ones dropped
    /// (they are re-exported from the merged sessions). `report` says what came from where.
    static Result<Bundle> merge(const Bundle& a, const QString& nameA, const Bundle& b, const QString& nameB, QStringList& report);

    /// Recomputes catalogue and content checksum from `members`.
    void seal();
    /// A manifest entry as the session's own data gives it: GPU, key (at `keyPosition` of the
    /// problem), problem, kernel, strategy, evaluations, best time and configuration, toolchain,
    /// driver (`sessionMember` and `source` left empty).
    static Result<BundleEntry> entryOf(const SessionRecord& record, const QVector<Trial>& trials, int keyPosition);
    /// Checks manifest entry `index` against its session member: the data wins, so any field
    /// that disagrees with what entryOf() derives is refused, naming the entry and field.
    static Result<void> checkEntry(const BundleEntry& entry, int index, const QByteArray& sessionJson, int keyPosition);
    /// The session member's session and trials, schema-checked.
    static Result<std::pair<SessionRecord, QVector<Trial>>> parseSession(const QByteArray& json, const QString& member);
    static QByteArray sessionJson(const SessionRecord& record, const QVector<Trial>& trials);
};

} // namespace dv

#pragma once

#include "base/Result.h"
#include "device/Device.h"
#include "device/Measurement.h"
#include "export/Bundle.h"
#include "search/RefreshStrategy.h"
#include "session/ResultStore.h"
#include "session/Session.h"
#include "session/Trial.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QVector>

#include <atomic>
#include <vector>

#include <functional>
#include <memory>
#include <optional>

namespace dv {

/// One problem key of the old platform A: a stored session, or a session member of a bundle.
struct RefreshSource {
    qint64 key = 0;        ///< the value at the key position of the problem (0 when it has none)
    bool hasKey = false;
    QString origin;        ///< for messages: "a.sqlite: session 3", "b.tar.gz: sessions/1.json"
    SessionRecord record;  ///< A's session: kernel, problem, device (shown, never run), space
    QVector<Trial> trials;
};

/// How a refresh searches and when it stops (RefreshStrategy's options, and the seeds).
struct RefreshSettings {
    int budget = 100;       ///< evaluations per key at most
    double maxSeconds = 0;  ///< wall time per key at most; 0: none
    int patience = RefreshStrategy::kDefaultPatience;
    int coldPatience = -1;  ///< -1: RefreshStrategy's default (none: a cold search runs to the budget)
    double tolerance = RefreshStrategy::kDefaultTolerance;
    double agreement = RefreshStrategy::kDefaultAgreement;
    int seedCount = 5;      ///< A's best configurations of the key measured first
    int neighbourSeeds = 1; ///< then the best this many of the nearest other keys of A's ladder
    quint64 seed = 1;
    QJsonObject bayesOptions;
    /// A cross-check: only A's best seedCount configurations of the key are measured on B (no
    /// neighbours, no search), to compare the two GPUs on the same configurations.
    bool crossCheck = false;
};

/// What refreshing one key gave.
struct RefreshRow {
    qint64 key = 0;
    bool hasKey = false;
    QString origin;
    QString deviceId;
    qint64 sessionId = 0;
    QJsonObject oldBestConfig;      ///< A's best (BestTrial's rule)
    double oldBestOnAMs = 0;
    std::optional<Measurement> oldBestOnB; ///< none: not in B's space, or the search ended before it
    std::optional<Trial> newBest;   ///< B's best (BestTrial's rule); none when nothing succeeded
    int evaluations = 0;
    double seconds = 0;
    bool changed = false;           ///< B's best is another configuration than A's
    RefreshVerdict verdict;
    QString ended;                  ///< the session's end: "confirmed", "budget", "stopped", ...
};

/// The devices of a refresh, opened and checked against their keys before anything is stored.
struct RefreshPlan {
    QVector<RefreshSource> sources;
    QStringList deviceIds;                       ///< per source
    std::vector<std::shared_ptr<Device>> devices; ///< per source
};

/// The refresh recipe (`dejavu-tune refresh`, the studio's "Refresh on this GPU"): re-tune every key
/// of a ladder tuned on platform A on platform B from what A knows, one new stored session per key
/// with RefreshStrategy (A's best few configurations of the key and of its neighbours first, then
/// bayes warm-started from A's trials of the key, or cold where A proves misleading; a patience
/// rule ends the search). The devices are the caller's: a device id is never read from the store
/// or the bundle.
class Refresh {
public:
    /// The sessions `ids` of `store` (`storeName` names it in messages), the key of each at
    /// `keyPosition` of its problem. Errors name the session; a session without trials is refused.
    static Result<QVector<RefreshSource>> fromStore(ResultStore& store, const QString& storeName,
                                                    const QList<qint64>& ids, int keyPosition);
    /// The session members of a bundle (every entry's, or only GPU `gpu`'s when given); an error
    /// names the file and the field (a bundle without sessions, several GPUs without `gpu`).
    static Result<QVector<RefreshSource>> fromBundle(const Bundle& bundle, const QString& path, const QString& gpu = {});

    /// Recorded landscapes standing in for A's sessions (every configuration measured), by replay
    /// id or dataset path (DeviceRegistry::openRecorded: never a process), keyed as fromStore().
    static Result<QVector<RefreshSource>> fromRecorded(const QStringList& ids, int keyPosition);

    /// The device id of each source: `deviceTemplate` with {key} (or {NAME} of `keyParam`) replaced
    /// by the source's key, or as given for a single source. Refused: several keys and no {key},
    /// a source without a key, a key twice.
    static Result<QStringList> deviceIds(const QVector<RefreshSource>& sources, const QString& deviceTemplate,
                                         const QString& keyParam = {});
    /// Opens every device (SessionLaunch::openDevice; `interrupt` ends a worker's waits) and checks
    /// each against its source (checkMatch). Errors name the source.
    static Result<RefreshPlan> prepare(const QVector<RefreshSource>& sources, const QString& deviceTemplate,
                                       const QString& keyParam = {}, const std::atomic<bool>* interrupt = nullptr);

    /// Whether B's workload can be refreshed from `source`: the same parameters, and at least one
    /// of A's configurations inside B's space. The error names both kernels and devices.
    static Result<void> checkMatch(const RefreshSource& source, const Device& device, const QString& deviceId);

    /// A's exportable trials ranked by BestTrial (re-measured median first), best first, at most `count`.
    static QVector<Trial> bestOf(const QVector<Trial>& trials, int count);
    /// RefreshStrategy's options for `source` within `ladder` (the other keys of A, for the
    /// neighbours' best configurations): seeds, prior (A's trials of the key), patience rule.
    static QJsonObject strategyOptions(const RefreshSource& source, const QVector<RefreshSource>& ladder,
                                       const RefreshSettings& settings);
    /// The options of the new session of `source` on B.
    static SessionOptions sessionOptions(const RefreshSource& source, const QVector<RefreshSource>& ladder,
                                         const RefreshSettings& settings);

    /// Creates and runs the refresh session of `source` on `device` in `store`. `running`, when
    /// given, is called with the session before it runs and with null after (Ctrl-C handling).
    static Result<RefreshRow> run(ResultStore& store, std::shared_ptr<Device> device, const QString& deviceId,
                                  const RefreshSource& source, const QVector<RefreshSource>& ladder,
                                  const RefreshSettings& settings, const std::function<void(Session*)>& running = {});

    /// The rows as a fixed-width table, and as JSON (`--json`).
    static QString table(const QVector<RefreshRow>& rows);
    static QJsonArray json(const QVector<RefreshRow>& rows);
};

} // namespace dv

#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"
#include "device/Measurement.h"
#include "session/Trial.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QVector>

#include <limits>
#include <optional>

namespace dv {

/// The tuned entry of one problem key (a row count, an M): the fastest ok, verified trial.
struct LadderRung {
    qint64 key = 0;
    QJsonObject config;
    Measurement measurement;
    QString origin;           ///< where it came from, for messages ("session 4")
    double benchSeconds = 0;  ///< tuning wall time spent on this key
    int evaluations = 0;      ///< trials seen for this key
};

/// What a deployment gets for one problem key it meets.
struct CoverageRow {
    static constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
    qint64 target = 0;
    std::optional<qint64> usedKey; ///< the tuned entry used; none: a miss (tuning at start-up)
    double usedMs = kUnknown;      ///< time of the used entry's configuration at `target`; inf if it fails there
    double bestMs = kUnknown;      ///< the best known time at `target`
    double slowdown = kUnknown;    ///< usedMs / bestMs (1 = as fast as the key's own best)
    QString note;
};

/// A per-problem-size ladder: the best configuration of each tuned key, and the coverage of the
/// keys a deployment may meet. Landscapes (fully measured keys) make the coverage exact: the
/// used configuration's time is looked up at the target key itself.
class TuningLadder {
public:
    /// How a consumer picks an entry: vLLM's fused MoE takes the nearest M (ties: the smaller),
    /// triton-dejavu and Triton's cache only an exact key.
    enum class Lookup { Nearest, Exact };

    /// Only ok trials whose result was not reported unverified may be exported.
    static bool isExportable(const Measurement& m);
    /// 1, 2, 4, ... up to `last` (inclusive), starting at the first power of two >= `first`.
    static QVector<qint64> powersOfTwo(qint64 first, qint64 last);
    /// The integer at `position` of a session's problem text ("[16, 4096]" or "16").
    static Result<qint64> problemValue(const QString& problem, int position);

    /// Adds one session's trials for `key`: the session's best (BestTrial::of, the re-measured
    /// median when the session has one) replaces the rung when it is faster. All keys must come from one GPU (`deviceName`).
    Result<void> addTrials(qint64 key, const QVector<Trial>& trials, const QString& deviceName, const QString& origin,
                           double benchSeconds = 0);
    /// A fully measured key, used for the coverage numbers.
    Result<void> addLandscape(qint64 key, const Landscape& landscape);

    const QString& deviceName() const { return m_deviceName; }
    /// Tuned entries by ascending key.
    QVector<LadderRung> rungs() const;
    /// The tuned key a consumer uses for `target`, or none.
    std::optional<qint64> entryFor(qint64 target, Lookup lookup) const;
    QVector<CoverageRow> coverage(const QVector<qint64>& targets, Lookup lookup) const;
    /// A fixed-width table of coverage rows for terminals and reports.
    static QString coverageTable(const QVector<CoverageRow>& rows);

private:
    Result<void> checkDevice(const QString& deviceName, const QString& what);
    QMap<qint64, LadderRung> m_rungs;
    QMap<qint64, Landscape> m_landscapes;
    QString m_deviceName;
};

} // namespace dv

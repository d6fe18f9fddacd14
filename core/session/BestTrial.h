#pragma once

#include "device/Measurement.h"
#include "session/Trial.h"

#include <QVector>

#include <optional>

namespace dv {

/// The one rule for "the best of a session", used by the CLI summary, the session list, the
/// studio and every exporter (TuningLadder, Triton cache, bundles), so that they never disagree.
///
/// Only exportable trials count (ok, and not reported `"verified": false`). When the session
/// ends with an interleaved re-measurement (Trial::remeasuredMs), the best is the re-measured
/// configuration with the lowest median over its rounds: the search's single measurement of a
/// configuration may have been lucky, the rounds measured side by side are the fair comparison.
/// Without a re-measurement the best is the trial with the lowest objective.
class BestTrial {
public:
    /// Ok and not marked unverified by its worker.
    static bool isExportable(const Measurement& m);
    static bool isRemeasured(const Trial& t) { return !t.remeasuredMs.isEmpty(); }
    /// The median of the re-measurement rounds when there are any, else the search's objective.
    static double rankingMs(const Trial& t);
    /// The best trial of `trials` (one session's), or none when no trial is exportable.
    static std::optional<Trial> of(const QVector<Trial>& trials);
    /// The measurement to report and export for `t`: with a re-measurement, the objective is the
    /// median of the rounds, the samples are the rounds' objectives, and the search's own
    /// objective is kept in extra "search_ms" (with "remeasured_rounds").
    static Measurement reported(const Trial& t);
};

} // namespace dv

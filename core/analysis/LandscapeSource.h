#pragma once

#include "analysis/Landscape.h"
#include "base/Result.h"
#include "session/ResultStore.h"

#include <QList>
#include <QString>

namespace dv {

/// Opens what a GPU comparison compares, for the CLI's `compare` and the studio's comparison view
/// alike: a recorded dataset by its replay id, or a stored session as a partial landscape
/// (TrialLandscape). Nothing here starts a process: a dataset id goes through
/// DeviceRegistry::openRecorded, and a session's stored device id is data.
class LandscapeSource {
public:
    /// A recorded landscape ("replay:kerneltuner/convolution_A100", as `devices` lists them, or a
    /// dataset file). `name` labels it (default: the id).
    static Result<Landscape> dataset(const QString& id, const QString& name = QString());
    /// The trials of stored session `id` over the space it ran on. A trial its worker reported
    /// unverified ("verified": false) counts as not measured: a fast result that may be wrong
    /// must not become anyone's best or portable default. `name` labels it (default
    /// "session N (GPU)").
    /// The cross-check sessions of the session (CrossCheck) are part of it: their trials are merged
    /// in, and the name says so ("session 1 (GPU) + cross-check 5").
    static Result<Landscape> session(ResultStore& store, qint64 id, const QString& name = QString());
    /// The stored cross-checks of `session`: sessions whose option "crossCheckOf" names it, on the
    /// same kernel, problem, GPU, toolchain and timing (others are ignored, whatever they claim).
    static Result<QList<qint64>> crossChecksOf(ResultStore& store, const SessionRecord& session);
};

} // namespace dv

#pragma once

#include "base/Status.h"
#include "space/ConfigSpace.h"

#include <QString>

#include <vector>

namespace dv {

class KernelTunerCache;

/// A fully measured configuration space: the status and time of every valid configuration.
/// Recorded datasets are landscapes; strategy benchmarks and GPU comparisons work on them.
struct Landscape {
    QString name;
    QString deviceName;
    ConfigSpace space;
    std::vector<Status> status;      ///< per space index
    std::vector<double> objectiveMs; ///< per space index; NaN unless status is Ok
    /// Per space index, whether the configuration was measured at all. Empty for a recorded
    /// dataset, where every configuration was; a session's trials (TrialLandscape) leave most of
    /// the space unmeasured, which is neither a failure nor "absent from the dataset".
    std::vector<bool> measured;

    static Landscape fromCache(const KernelTunerCache& cache, const QString& name);

    qint64 size() const { return space.size(); }
    bool isOk(qint64 index) const { return status[size_t(index)] == Status::Ok; }
    bool isMeasured(qint64 index) const { return measured.empty() || measured[size_t(index)]; }
    /// True for a landscape built from a session's trials (measured is filled).
    bool isPartial() const { return !measured.empty(); }
    /// Index of the fastest valid configuration, or -1 when none is valid.
    qint64 bestIndex() const;
    double bestMs() const;
    /// The slowest valid time: the convention for "best so far" before any valid evaluation.
    double worstMs() const;
    int validCount() const;
};

} // namespace dv

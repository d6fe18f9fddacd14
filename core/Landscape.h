#pragma once

#include "ConfigSpace.h"
#include "Status.h"

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

    static Landscape fromCache(const KernelTunerCache& cache, const QString& name);

    qint64 size() const { return space.size(); }
    bool isOk(qint64 index) const { return status[size_t(index)] == Status::Ok; }
    /// Index of the fastest valid configuration, or -1 when none is valid.
    qint64 bestIndex() const;
    double bestMs() const;
    /// The slowest valid time: the convention for "best so far" before any valid evaluation.
    double worstMs() const;
    int validCount() const;
};

} // namespace dv

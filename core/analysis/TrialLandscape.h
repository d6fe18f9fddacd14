#pragma once

#include "analysis/Landscape.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QVector>

namespace dv {

/// A (partial) landscape from a session's trials, so a stored session can be compared with
/// recorded datasets (dv::Portability). Each configuration takes the status and time of its
/// fastest ok trial, or of its last failure; configurations never measured are Invalid with no
/// time and marked unmeasured (Landscape::measured), so that grids leave them empty and
/// Portability reports them as not measured rather than failed. Trials outside the space are
/// ignored.
class TrialLandscape {
public:
    static Landscape build(const QString& name, const QString& deviceName, const ConfigSpace& space,
                           const QVector<Trial>& trials);
};

} // namespace dv

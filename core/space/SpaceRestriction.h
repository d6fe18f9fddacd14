#pragma once

#include "base/Result.h"
#include "space/ConfigSpace.h"

#include <QJsonObject>

namespace dv {

/// Narrows a device's configuration space to the one a user wrote (fewer values of some
/// parameters, extra constraints): the session then searches only configurations that are in
/// both. The narrowed space must name exactly the device's parameters and may only use values
/// the device has; anything else is an error naming `source` and the parameter, so that a typo
/// never silently searches an empty or different space.
class SpaceRestriction {
public:
    /// The configurations of `device` that `narrowed` (a space in the file format) allows, as a
    /// space with the device's parameter order and the narrowed value lists. An error if the
    /// narrowed space is malformed, not a narrowing of the device's, or allows nothing.
    static Result<ConfigSpace> apply(const ConfigSpace& device, const QJsonObject& narrowed, const QString& source);
};

} // namespace dv

#pragma once

#include <QPalette>
#include <QString>

namespace dv::studio {

/// The studio's colour palettes (--palette): the system's, or Fusion with a light or dark one.
class Palette {
public:
    /// Applies `name` ("system", "light" or "dark") to the application; false for another name.
    static bool apply(const QString& name);
    /// A dark palette for Fusion (the one style that honours every palette role on every platform).
    static QPalette dark();
};

} // namespace dv::studio

#pragma once

#include <QColor>

#include <algorithm>
#include <cmath>

namespace dv::studio {

/// Background of a portability cell from a plain slowdown (core's number): white at 1x through
/// amber to red at kRedAt and beyond, on a log scale because slowdowns span 1x to 100x and a
/// 2x loss already matters. Light enough at the low end that text stays readable on any theme
/// (the text colour is chosen with slowdownTextColor()).
inline constexpr double kSlowdownRedAt = 20.0;

inline QColor slowdownColor(double slowdown)
{
    const double t = std::clamp(std::log(std::max(slowdown, 1.0)) / std::log(kSlowdownRedAt), 0.0, 1.0);
    // Two linear segments: white -> amber (0xFDAE61) -> red (0xD7301F).
    const auto mix = [](int a, int b, double u) { return int(std::lround(a + (b - a) * u)); };
    if (t < 0.5) {
        const double u = t / 0.5;
        return QColor(mix(0xFF, 0xFD, u), mix(0xFF, 0xAE, u), mix(0xFF, 0x61, u));
    }
    const double u = (t - 0.5) / 0.5;
    return QColor(mix(0xFD, 0xD7, u), mix(0xAE, 0x30, u), mix(0x61, 0x1F, u));
}

/// Black on the light end, white on the red end, so the number stays legible.
inline QColor slowdownTextColor(double slowdown)
{
    return slowdown >= 8.0 ? QColor(Qt::white) : QColor(Qt::black);
}

} // namespace dv::studio

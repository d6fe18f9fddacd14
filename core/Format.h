#pragma once

#include <QString>

namespace dv {

/// Numbers as a person reads them, the same everywhere they are printed (progress, summaries,
/// `sessions`, `ladder`): kernel times with a unit that fits and a fixed number of significant
/// digits, wall-clock durations, and counted nouns. Machine interfaces (JSON lines, exports)
/// keep raw milliseconds and never use these.
class Format {
public:
    /// Significant digits of time(): enough to tell apart configurations 0.1% apart.
    static constexpr int kDigits = 4;

    /// A kernel time given in milliseconds: "850.0 ns", "5.216 µs", "193.2 µs", "1.234 ms",
    /// "12.35 s"; "-" when not finite.
    static QString time(double ms);
    /// A wall-clock duration given in seconds: "0.4 ms", "12 ms", "3.4 s", "42 s", "2 min 05 s",
    /// "1 h 02 min".
    static QString duration(double seconds);
    /// "1 constraint", "2 constraints", "0 constraints"; `plural` for irregular nouns.
    static QString count(qint64 n, const QString& singular, const QString& plural = QString());
};

} // namespace dv

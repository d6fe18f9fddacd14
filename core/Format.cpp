#include "Format.h"

#include <cmath>

namespace dv {

namespace {

/// `value` with `digits` significant digits in fixed notation, trailing zeros kept
/// ("5.000 µs" says the time is known to four digits).
QString significant(double value, int digits)
{
    if (value == 0)
        return QString::number(0.0, 'f', digits - 1);
    const int magnitude = int(std::floor(std::log10(std::fabs(value))));
    int decimals = std::max(0, digits - 1 - magnitude);
    // 9.9996 rounds to 10.000: one digit more than asked for.
    if (std::fabs(QString::number(value, 'f', decimals).toDouble()) >= std::pow(10.0, magnitude + 1) && decimals > 0)
        --decimals;
    return QString::number(value, 'f', decimals);
}

} // namespace

QString Format::time(double ms)
{
    if (!std::isfinite(ms))
        return QStringLiteral("-");
    struct Unit {
        double perMs;
        const char16_t* name;
    };
    // From the largest unit down: the first whose value, rounded to kDigits, is at least 1.
    static const Unit units[] = {{1e-3, u"s"}, {1.0, u"ms"}, {1e3, u"\u00b5s"}, {1e6, u"ns"}};
    if (ms == 0)
        return QStringLiteral("%1 ms").arg(significant(0, kDigits));
    for (const Unit& u : units) {
        const double v = ms * u.perMs;
        // Decided after rounding: 0.99996 ms prints as "1.000 ms", not "1000 µs".
        if (std::fabs(significant(v, kDigits).toDouble()) >= 1.0 || u.perMs == 1e6)
            return QStringLiteral("%1 %2").arg(significant(v, kDigits), QString::fromUtf16(u.name));
    }
    return {};
}

QString Format::duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("-");
    const double ms = seconds * 1000.0;
    if (std::round(ms * 10) / 10 < 10)
        return QStringLiteral("%1 ms").arg(ms, 0, 'f', 1);
    if (std::round(ms) < 1000)
        return QStringLiteral("%1 ms").arg(std::round(ms), 0, 'f', 0);
    if (std::round(seconds * 10) / 10 < 10)
        return QStringLiteral("%1 s").arg(seconds, 0, 'f', 1);
    const qint64 whole = qint64(std::llround(seconds));
    if (whole < 60)
        return QStringLiteral("%1 s").arg(whole);
    if (whole < 3600)
        return QStringLiteral("%1 min %2 s").arg(whole / 60).arg(whole % 60, 2, 10, QLatin1Char('0'));
    const qint64 minutes = qint64(std::llround(seconds / 60.0));
    return QStringLiteral("%1 h %2 min").arg(minutes / 60).arg(minutes % 60, 2, 10, QLatin1Char('0'));
}

QString Format::count(qint64 n, const QString& singular, const QString& plural)
{
    const QString noun = n == 1 ? singular : plural.isEmpty() ? singular + QLatin1Char('s') : plural;
    return QStringLiteral("%1 %2").arg(n).arg(noun);
}

} // namespace dv

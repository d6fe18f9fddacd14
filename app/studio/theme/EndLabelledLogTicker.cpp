#include "theme/EndLabelledLogTicker.h"

#include <cmath>

namespace dv::studio {

QVector<double> EndLabelledLogTicker::createTickVector(double tickStep, const QCPRange& range)
{
    m_range = range;
    const QVector<double> inner = QCPAxisTickerLog::createTickVector(tickStep, range);
    if (!(range.lower > 0 && range.upper > range.lower))
        return inner;
    const double span = std::log(range.upper / range.lower);
    QVector<double> ticks{range.lower};
    for (double t : inner) {
        if (t > range.lower && t < range.upper && std::log(t / range.lower) > kEndClearance * span
            && std::log(range.upper / t) > kEndClearance * span)
            ticks.append(t);
    }
    ticks.append(range.upper);
    return ticks;
}

QString EndLabelledLogTicker::getTickLabel(double tick, const QLocale& locale, QChar formatChar, int precision)
{
    // The ends are measured values (0.0312), not round powers: three digits say enough.
    if (tick == m_range.lower || tick == m_range.upper)
        return locale.toString(tick, 'g', 3);
    return QCPAxisTickerLog::getTickLabel(tick, locale, formatChar, precision);
}

} // namespace dv::studio

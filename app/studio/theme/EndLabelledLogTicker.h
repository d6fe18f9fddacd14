#pragma once

#include <qcustomplot.h>

namespace dv::studio {

/// A logarithmic ticker that also labels both ends of the range. A colour bar from 0.031 to
/// 2.5 ms gets QCPAxisTickerLog's 0.1 and 1 only, so its fast end, the colour that matters most,
/// had no number; here the ends are ticks too (three significant digits), and inner ticks too
/// close to an end to fit a label beside it are left out.
class EndLabelledLogTicker : public QCPAxisTickerLog {
public:
    /// Inner ticks closer to an end than this share of the range (in log space) are dropped.
    static constexpr double kEndClearance = 0.12;

protected:
    QVector<double> createTickVector(double tickStep, const QCPRange& range) override;
    QString getTickLabel(double tick, const QLocale& locale, QChar formatChar, int precision) override;

private:
    QCPRange m_range;
};

} // namespace dv::studio

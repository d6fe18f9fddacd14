#pragma once

#include "search/stop/StopCondition.h"

namespace dv {

/// Stops once the session's wall time reaches a limit (checked between trials).
class TimeLimit : public StopCondition {
public:
    explicit TimeLimit(double seconds) : m_seconds(seconds) {}
    std::optional<QString> check(const StopContext& c) const override
    {
        return c.elapsedSeconds >= m_seconds ? std::optional<QString>(QStringLiteral("time limit")) : std::nullopt;
    }
    QString describe() const override { return QStringLiteral("%1 s").arg(m_seconds); }

private:
    double m_seconds;
};

} // namespace dv

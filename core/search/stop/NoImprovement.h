#pragma once

#include "search/stop/StopCondition.h"

namespace dv {

/// Stops when the best time has not improved over the last N evaluations.
class NoImprovement : public StopCondition {
public:
    explicit NoImprovement(int evaluations) : m_window(evaluations) {}
    std::optional<QString> check(const StopContext& c) const override
    {
        return c.evaluationsSinceImprovement >= m_window ? std::optional<QString>(QStringLiteral("no improvement"))
                                                         : std::nullopt;
    }
    QString describe() const override { return QStringLiteral("no improvement in %1 evaluations").arg(m_window); }

private:
    int m_window;
};

} // namespace dv

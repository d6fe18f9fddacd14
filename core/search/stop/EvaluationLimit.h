#pragma once

#include "search/stop/StopCondition.h"

namespace dv {

/// Stops after a number of evaluations.
class EvaluationLimit : public StopCondition {
public:
    explicit EvaluationLimit(int evaluations) : m_limit(evaluations) {}
    std::optional<QString> check(const StopContext& c) const override
    {
        return c.evaluations >= m_limit ? std::optional<QString>(QStringLiteral("budget")) : std::nullopt;
    }
    QString describe() const override { return QStringLiteral("%1 evaluations").arg(m_limit); }

private:
    int m_limit;
};

} // namespace dv

#pragma once

#include "search/stop/StopCondition.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace dv {

/// Stops only when every one of its conditions does (e.g. at least 50 evaluations and no
/// improvement over the last 20); the reasons are joined.
class AllOf : public StopCondition {
public:
    void add(std::unique_ptr<StopCondition> condition) { m_conditions.push_back(std::move(condition)); }
    std::optional<QString> check(const StopContext& c) const override
    {
        QStringList reasons;
        for (const auto& condition : m_conditions) {
            auto reason = condition->check(c);
            if (!reason)
                return std::nullopt;
            reasons.append(*reason);
        }
        if (reasons.isEmpty())
            return std::nullopt;
        return reasons.join(QStringLiteral(" and "));
    }
    QString describe() const override
    {
        QStringList parts;
        for (const auto& condition : m_conditions)
            parts.append(condition->describe());
        return parts.join(QStringLiteral(" and "));
    }

private:
    std::vector<std::unique_ptr<StopCondition>> m_conditions;
};

} // namespace dv

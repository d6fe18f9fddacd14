#pragma once

#include "search/stop/StopCondition.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace dv {

/// Stops as soon as any of its conditions does (with that condition's reason).
class AnyOf : public StopCondition {
public:
    void add(std::unique_ptr<StopCondition> condition) { m_conditions.push_back(std::move(condition)); }
    bool isEmpty() const { return m_conditions.empty(); }
    std::optional<QString> check(const StopContext& c) const override
    {
        for (const auto& condition : m_conditions) {
            if (auto reason = condition->check(c))
                return reason;
        }
        return std::nullopt;
    }
    QString describe() const override
    {
        QStringList parts;
        for (const auto& condition : m_conditions)
            parts.append(condition->describe());
        return parts.isEmpty() ? QStringLiteral("never") : parts.join(QStringLiteral(" or "));
    }

private:
    std::vector<std::unique_ptr<StopCondition>> m_conditions;
};

} // namespace dv

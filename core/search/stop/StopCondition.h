#pragma once

#include <QString>

#include <optional>

namespace dv {

/// What a stop condition may look at after each trial.
struct StopContext {
    int evaluations = 0;                 ///< trials in the session so far
    double elapsedSeconds = 0;           ///< wall time over all runs of the session
    int evaluationsSinceImprovement = 0; ///< trials since the best time last improved (all trials if none succeeded)
};

/// Decides when a session ends. Conditions are small and combinable (AnyOf, AllOf).
class StopCondition {
public:
    virtual ~StopCondition() = default;
    /// The reason to stop now ("budget", "time limit", ...), or nullopt to go on.
    virtual std::optional<QString> check(const StopContext& context) const = 0;
    /// A short human description ("100 evaluations").
    virtual QString describe() const = 0;
};

} // namespace dv

#pragma once

#include "base/Status.h"

#include <QtGlobal>

#include <optional>
#include <vector>

namespace dv {

/// One finished evaluation as a strategy sees it.
struct Observation {
    qint64 index = -1; ///< position in the ConfigSpace
    Status status = Status::Invalid;
    double objectiveMs = 0; ///< meaningful only when status is Ok
    bool ok() const { return status == Status::Ok; }
};

/// What a strategy knows: the evaluations so far, in order, and those still in flight.
class SearchHistory {
public:
    explicit SearchHistory(qint64 spaceSize = 0);

    void add(const Observation& observation);
    /// Marks a proposed configuration as being evaluated (batches), so that no other proposal repeats it.
    void markPending(qint64 index);
    /// Marks a configuration as taken without an observation and without being in flight: never
    /// proposed, never modelled (a refresh's seeds hidden from its cold search).
    void markExcluded(qint64 index);
    /// Frees a pending configuration that will not be evaluated after all (its device was lost):
    /// it may be proposed again.
    void unmarkPending(qint64 index);
    /// The configurations marked pending and not yet evaluated, in the order they were marked
    /// (what other device slots are measuring right now: a strategy treats them as taken and may
    /// model them, e.g. as constant liars).
    const std::vector<qint64>& pending() const { return m_pending; }
    /// True when the configuration was evaluated or is being evaluated.
    bool isTaken(qint64 index) const;
    bool isEvaluated(qint64 index) const;

    const std::vector<Observation>& observations() const { return m_observations; }
    int count() const { return int(m_observations.size()); }
    qint64 spaceSize() const { return m_spaceSize; }
    /// Number of configurations evaluated or pending.
    qint64 takenCount() const { return m_taken; }
    /// Best successful observation, if any.
    std::optional<Observation> best() const;

private:
    qint64 m_spaceSize = 0;
    std::vector<Observation> m_observations;
    std::vector<std::uint8_t> m_state; // 0 free, 1 pending, 2 evaluated, 3 excluded
    std::vector<qint64> m_pending;
    qint64 m_taken = 0;
    qint64 m_bestPosition = -1;
};

} // namespace dv

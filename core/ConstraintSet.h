#pragma once

#include "Parameter.h"
#include "Result.h"

#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

namespace dv {

/// Bounds on one enumeration, so that a space from a file or a worker can neither run for hours
/// nor ignore Ctrl-C (docs/space-format.md, "Limits").
struct EnumerationLimits {
    /// The walk examines partial and complete combinations; those that do not turn out to be
    /// valid configurations (ruled out, or prefixes of others) are counted, and past this many
    /// the enumeration fails. Valid configurations are not counted: their number is bounded by
    /// the caller's visitor (ConfigSpace holds at most 10^8).
    static constexpr quint64 kMaxExamined = 100'000'000;
    quint64 maxExamined = kMaxExamined;
    /// Checked every few thousand combinations: when it becomes true the enumeration fails at once.
    const std::atomic<bool>* interrupt = nullptr;
};

/// Constraints over parameter names, compiled with muparser, and the pruned enumeration of the
/// valid part of a Cartesian product.
///
/// Expressions use C operators (`* / + - % < <= == != && || ! ?:`), muparser's functions
/// (min, max, abs, ...) plus floor/ceil, Python's `and`/`or`/`not`, `true`/`false`, and string
/// literals in quotes that compare with string parameters by `==`/`!=`. Each constraint is
/// attached to the last parameter it mentions, so a subtree of the product is skipped as soon
/// as a constraint over its prefix fails.
///
/// A constraint is a condition, never an assignment (muparser's `=` is refused), and one that
/// divides by zero or has no defined value (0/0, `sqrt` of a negative) for some combination is
/// an error naming the constraint and the combination, not a silent true or false.
class ConstraintSet {
public:
    /// The longest constraint accepted, in characters (realistic ones are under 200).
    static constexpr int kMaxExpressionLength = 2000;

    ConstraintSet();
    ~ConstraintSet();
    ConstraintSet(ConstraintSet&&) noexcept;
    ConstraintSet& operator=(ConstraintSet&&) noexcept;

    /// Compiles `expressions` against `parameters`. The error names the constraint by its
    /// position and text; `where(i)` may give a better location (e.g. "space.json:14").
    static Result<ConstraintSet> compile(const QVector<Parameter>& parameters,
                                         const QStringList& expressions);

    int count() const;

    /// Visits every valid combination as its ordinal in the product (first parameter most
    /// significant), in increasing order. Stops early when `visit` returns false.
    /// Returns an error if an expression fails at evaluation time, past `limits.maxExamined`
    /// combinations that are not valid (the error names the limit), or when `limits.interrupt`
    /// becomes true.
    template <typename Visit>
    Result<void> enumerate(Visit&& visit, const EnumerationLimits& limits = {}) const;

    /// Whether the combination given by value indices satisfies every constraint.
    bool accepts(const std::vector<int>& valueIndices) const;

private:
    struct Impl;
    Result<void> enumerateImpl(bool (*visit)(void*, quint64), void* context, const EnumerationLimits& limits) const;
    /// The depth-first walk; with `diagnose`, each evaluation is checked for an undefined value.
    Result<void> walk(bool (*visit)(void*, quint64), void* context, bool diagnose, const EnumerationLimits& limits) const;
    std::unique_ptr<Impl> m_impl;
};

template <typename Visit>
Result<void> ConstraintSet::enumerate(Visit&& visit, const EnumerationLimits& limits) const
{
    auto trampoline = [](void* ctx, quint64 ordinal) -> bool {
        return (*static_cast<std::remove_reference_t<Visit>*>(ctx))(ordinal);
    };
    return enumerateImpl(trampoline, const_cast<void*>(static_cast<const void*>(&visit)), limits);
}

} // namespace dv

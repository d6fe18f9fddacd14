#pragma once

#include "Parameter.h"
#include "Result.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace dv {

/// Constraints over parameter names, compiled with muparser, and the pruned enumeration of the
/// valid part of a Cartesian product.
///
/// Expressions use C operators (`* / + - % < <= == != && || ! ?:`), muparser's functions
/// (min, max, abs, ...) plus floor/ceil, Python's `and`/`or`/`not`, `true`/`false`, and string
/// literals in quotes that compare with string parameters by `==`/`!=`. Each constraint is
/// attached to the last parameter it mentions, so a subtree of the product is skipped as soon
/// as a constraint over its prefix fails.
class ConstraintSet {
public:
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
    /// Returns an error if an expression fails at evaluation time.
    template <typename Visit>
    Result<void> enumerate(Visit&& visit) const;

    /// Whether the combination given by value indices satisfies every constraint.
    bool accepts(const std::vector<int>& valueIndices) const;

private:
    struct Impl;
    Result<void> enumerateImpl(bool (*visit)(void*, quint64), void* context) const;
    std::unique_ptr<Impl> m_impl;
};

template <typename Visit>
Result<void> ConstraintSet::enumerate(Visit&& visit) const
{
    auto trampoline = [](void* ctx, quint64 ordinal) -> bool {
        return (*static_cast<std::remove_reference_t<Visit>*>(ctx))(ordinal);
    };
    return enumerateImpl(trampoline, const_cast<void*>(static_cast<const void*>(&visit)));
}

} // namespace dv

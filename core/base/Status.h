#pragma once

#include <QString>

#include <optional>

namespace dv {

/// Outcome of evaluating one configuration. Only `Ok` carries a usable time; every other
/// status marks a configuration that must never be exported as best.
enum class Status {
    Ok,
    Invalid,       ///< rejected before running (outside the space, a constraint, absent from a dataset)
    CompileError,
    RuntimeError,
    WrongResult,   ///< ran but its output differs from the reference
    Timeout,
    Crashed,       ///< the worker process died
};

/// Stable lower-case name used in files, the database and the protocol ("ok", "compile_error", ...).
QString statusName(Status status);
/// Parses a name written by statusName(); nullopt for anything else.
std::optional<Status> statusFromName(const QString& name);
/// All statuses in declaration order, for summaries and tables.
constexpr Status kAllStatuses[] = {Status::Ok,          Status::Invalid, Status::CompileError,
                                   Status::RuntimeError, Status::WrongResult, Status::Timeout,
                                   Status::Crashed};

} // namespace dv

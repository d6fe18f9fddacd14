#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace dv {

/// An error a user can act on: names the file and the field or line ("space.json: parameters[2].values: ...").
struct Error {
    QString message;
};

/// A value or an Error. Failure paths return values instead of throwing so that every
/// caller (CLI, studio, tests) decides how to show them.
template <typename T>
class Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Error error) : m_error(std::move(error.message)) {}

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return *m_value; }
    T& value() & { return *m_value; }
    T&& value() && { return std::move(*m_value); }
    const T* operator->() const { return &*m_value; }
    T* operator->() { return &*m_value; }
    const QString& error() const { return m_error; }

private:
    std::optional<T> m_value;
    QString m_error;
};

/// Result of an operation that yields nothing but may fail.
template <>
class Result<void> {
public:
    Result() = default;
    Result(Error error) : m_failed(true), m_error(std::move(error.message)) {}
    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const QString& error() const { return m_error; }

private:
    bool m_failed = false;
    QString m_error;
};

} // namespace dv

#pragma once

#include "base/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>

namespace dv {

/// Parses bytes as a JSON object; the error names `source`, the line and the column. An object
/// that names a key twice is refused (Qt would silently keep one of the two values).
Result<QJsonObject> parseJsonObject(const QByteArray& bytes, const QString& source);
/// In valid JSON text: where an object repeats a key ("line:column: duplicate key ... in PATH"),
/// or empty when none does.
QString duplicateKey(const QByteArray& json);
/// Untrusted text for an error message: at most `max` characters, then "…" and the full length;
/// control characters (NUL, ESC, newline...) shown as \xNN.
QString clip(const QString& text, int max = 80);
/// A short JSON rendering of a value for error messages.
QString jsonText(const QJsonValue& value);
/// 1-based line of the first occurrence of `text` as a JSON string literal in `bytes`, or 0.
int lineOfString(const QByteArray& bytes, const QString& text);
/// 1-based line and column of a byte offset.
QString lineColumn(const QByteArray& bytes, qsizetype offset);

} // namespace dv

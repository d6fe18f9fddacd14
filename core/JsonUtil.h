#pragma once

#include "Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>

namespace dv {

/// Parses bytes as a JSON object; the error names `source`, the line and the column.
Result<QJsonObject> parseJsonObject(const QByteArray& bytes, const QString& source);
/// A short JSON rendering of a value for error messages.
QString jsonText(const QJsonValue& value);
/// 1-based line of the first occurrence of `text` as a JSON string literal in `bytes`, or 0.
int lineOfString(const QByteArray& bytes, const QString& text);
/// 1-based line and column of a byte offset.
QString lineColumn(const QByteArray& bytes, qsizetype offset);

} // namespace dv

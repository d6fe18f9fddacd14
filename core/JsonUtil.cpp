#include "JsonUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace dv {

QString lineColumn(const QByteArray& bytes, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, bytes.size());
    int line = 1;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < offset; ++i) {
        if (bytes[i] == '\n') {
            ++line;
            lineStart = i + 1;
        }
    }
    return QStringLiteral("%1:%2").arg(line).arg(offset - lineStart + 1);
}

Result<QJsonObject> parseJsonObject(const QByteArray& bytes, const QString& source)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        return Error{QStringLiteral("%1:%2: invalid JSON: %3")
                         .arg(source, lineColumn(bytes, error.offset), error.errorString())};
    if (!doc.isObject())
        return Error{QStringLiteral("%1: expected a JSON object at the top level").arg(source)};
    return doc.object();
}

QString jsonText(const QJsonValue& value)
{
    if (value.isUndefined())
        return QStringLiteral("nothing");
    QJsonArray wrap{value};
    QByteArray text = QJsonDocument(wrap).toJson(QJsonDocument::Compact);
    text = text.mid(1, text.size() - 2);
    if (text.size() > 60)
        text = text.left(57) + "...";
    return QString::fromUtf8(text);
}

int lineOfString(const QByteArray& bytes, const QString& text)
{
    QByteArray needle = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    needle = needle.mid(1, needle.size() - 2);
    const qsizetype at = bytes.indexOf(needle);
    if (at < 0)
        return 0;
    return int(bytes.left(at).count('\n')) + 1;
}

} // namespace dv

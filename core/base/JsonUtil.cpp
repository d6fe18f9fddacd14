#include "base/JsonUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSet>

#include <vector>

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
    if (const QString twice = duplicateKey(bytes); !twice.isEmpty())
        return Error{QStringLiteral("%1:%2").arg(source, twice)};
    return doc.object();
}

QString duplicateKey(const QByteArray& json)
{
    // A scan of text Qt has already parsed: strings, brackets, commas and colons are enough.
    struct Level {
        bool object = false;
        bool expectKey = false;
        int index = 0;      // arrays: the element
        QByteArray key;     // objects: the member being read
        QSet<QByteArray> keys;
    };
    std::vector<Level> stack;
    auto path = [&] {
        QString p;
        for (size_t i = 0; i + 1 < stack.size(); ++i) {
            const Level& l = stack[i];
            p += l.object ? (p.isEmpty() ? QString() : QStringLiteral(".")) + clip(QString::fromUtf8(l.key), 40) : QStringLiteral("[%1]").arg(l.index);
        }
        return p.isEmpty() ? QStringLiteral("the top-level object") : p;
    };
    const qsizetype n = json.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char c = json[i];
        if (c == '"') {
            const qsizetype start = i;
            for (++i; i < n && json[i] != '"'; ++i)
                if (json[i] == '\\')
                    ++i;
            if (stack.empty() || !stack.back().object || !stack.back().expectKey)
                continue;
            Level& top = stack.back();
            top.expectKey = false;
            QByteArray key = json.mid(start + 1, i - start - 1);
            // Escapes spell one key several ways ("a", "\u0061"): compare what they decode to.
            if (key.contains('\\'))
                key = QJsonDocument::fromJson("[" + json.mid(start, i - start + 1) + "]").array().at(0).toString().toUtf8();
            if (top.keys.contains(key))
                return QStringLiteral("%1: duplicate key \"%2\" in %3 (one of the two values would be silently dropped)")
                    .arg(lineColumn(json, start), clip(QString::fromUtf8(key)), path());
            top.keys.insert(key);
            top.key = std::move(key);
        } else if (c == '{' || c == '[') {
            Level l;
            l.object = c == '{';
            l.expectKey = l.object;
            stack.push_back(std::move(l));
        } else if (c == '}' || c == ']') {
            if (!stack.empty())
                stack.pop_back();
        } else if (c == ',' && !stack.empty()) {
            if (stack.back().object)
                stack.back().expectKey = true;
            else
                ++stack.back().index;
        }
    }
    return {};
}

QString clip(const QString& text, int max)
{
    // Control characters are shown as \xNN: a NUL would end the message where it is printed as a C
    // string (the rest of the error lost), an escape sequence would drive the user's terminal.
    QString out;
    const QStringView shown = QStringView(text).left(max);
    out.reserve(shown.size());
    for (const QChar c : shown) {
        const char16_t u = c.unicode();
        if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0))
            out += QStringLiteral("\\x%1").arg(uint(u), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    if (text.size() > max)
        out += QStringLiteral("\u2026 (%1 characters)").arg(text.size());
    return out;
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

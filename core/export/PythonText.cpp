#include "export/PythonText.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace dv::python {

QString floatRepr(double value)
{
    if (std::isnan(value))
        return QStringLiteral("nan");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    if (value == 0)
        return std::signbit(value) ? QStringLiteral("-0.0") : QStringLiteral("0.0");
    // The shortest round-trip digits (as Python's repr), then Python's layout rule: positional
    // when the decimal exponent lies in [-4, 16), scientific otherwise.
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);
    const auto e = sci.find('e');
    std::string mantissa = sci.substr(0, e);
    const int exponent = std::stoi(sci.substr(e + 1));
    const bool negative = mantissa[0] == '-';
    if (negative)
        mantissa.erase(0, 1);
    std::string digits;
    for (char c : mantissa)
        if (c != '.')
            digits += c;
    std::string out;
    if (exponent < -4 || exponent >= 16) {
        out = digits.substr(0, 1);
        if (digits.size() > 1)
            out += "." + digits.substr(1);
        char exp[16];
        std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
        out += exp;
    } else if (exponent < 0) {
        out = "0." + std::string(size_t(-exponent - 1), '0') + digits;
    } else {
        const size_t point = size_t(exponent) + 1;
        if (digits.size() <= point)
            out = digits + std::string(point - digits.size(), '0') + ".0";
        else
            out = digits.substr(0, point) + "." + digits.substr(point);
    }
    return QString::fromLatin1((negative ? "-" : "") + out);
}

QString strRepr(const QString& text)
{
    const bool useDouble = text.contains(QLatin1Char('\'')) && !text.contains(QLatin1Char('"'));
    const QChar quote = useDouble ? QLatin1Char('"') : QLatin1Char('\'');
    QString out = quote;
    for (const QChar c : text) {
        const ushort u = c.unicode();
        if (c == quote || c == QLatin1Char('\\'))
            out += QLatin1Char('\\') + c;
        else if (u == '\n')
            out += QLatin1String("\\n");
        else if (u == '\r')
            out += QLatin1String("\\r");
        else if (u == '\t')
            out += QLatin1String("\\t");
        else if (u < 0x20 || u == 0x7f)
            out += QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
        else
            out += c; // printable non-ASCII stays as is in Python 3
    }
    return out + quote;
}

QString tupleOfStr(const QStringList& items)
{
    QStringList parts;
    for (const QString& s : items)
        parts.append(strRepr(s));
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + (items.size() == 1 ? QStringLiteral(",)") : QStringLiteral(")"));
}

QString jsonString(const QString& text)
{
    QString out = QStringLiteral("\"");
    for (const QChar c : text) {
        const ushort u = c.unicode();
        switch (u) {
        case '"': out += QLatin1String("\\\""); break;
        case '\\': out += QLatin1String("\\\\"); break;
        case '\n': out += QLatin1String("\\n"); break;
        case '\r': out += QLatin1String("\\r"); break;
        case '\t': out += QLatin1String("\\t"); break;
        case '\b': out += QLatin1String("\\b"); break;
        case '\f': out += QLatin1String("\\f"); break;
        default:
            if (u < 0x20 || u > 0x7e)
                out += QStringLiteral("\\u%1").arg(u, 4, 16, QLatin1Char('0')); // UTF-16 units, as Python
            else
                out += c;
        }
    }
    return out + QLatin1Char('"');
}

QString floatList(const QVector<double>& values)
{
    QStringList parts;
    for (double v : values)
        parts.append(floatRepr(v));
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

} // namespace dv::python

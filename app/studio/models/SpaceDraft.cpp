#include "models/SpaceDraft.h"

#include "space/ConfigSpace.h"
#include "space/ConstraintSet.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace dv::studio {

SpaceDraft SpaceDraft::fromSpace(const ConfigSpace& space)
{
    SpaceDraft d;
    d.name = space.name();
    for (const Parameter& p : space.parameters())
        d.rows.append(Row{p.name, valuesText(p.values)});
    d.constraintText = space.constraints().join(QLatin1Char('\n'));
    return d;
}

QVector<QJsonValue> SpaceDraft::parseValues(const QString& text)
{
    // A JSON array body first, so quoted strings may hold commas; otherwise bare tokens.
    const QJsonDocument doc = QJsonDocument::fromJson(QStringLiteral("[%1]").arg(text).toUtf8());
    QVector<QJsonValue> out;
    if (doc.isArray()) {
        for (const QJsonValue& v : doc.array())
            out.append(v);
        return out;
    }
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString token = part.trimmed();
        if (token.isEmpty())
            continue;
        bool isNumber = false;
        const double x = token.toDouble(&isNumber);
        if (isNumber)
            out.append(x);
        else if (token == QLatin1String("true") || token == QLatin1String("false"))
            out.append(token == QLatin1String("true"));
        else if (token.size() >= 2 && (token.startsWith(QLatin1Char('"')) || token.startsWith(QLatin1Char('\'')))
                 && token.endsWith(token.front()))
            out.append(token.mid(1, token.size() - 2));
        else
            out.append(token);
    }
    return out;
}

QString SpaceDraft::valuesText(const QVector<QJsonValue>& values)
{
    QStringList parts;
    for (const QJsonValue& v : values) {
        if (v.isString())
            parts.append(QStringLiteral("\"%1\"").arg(v.toString()));
        else if (v.isBool())
            parts.append(v.toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        else
            parts.append(QString::number(v.toDouble(), 'g', 15));
    }
    return parts.join(QStringLiteral(", "));
}

SpaceDraft::Checked SpaceDraft::check() const
{
    Checked c;
    // Each row is checked on its own (its position in the message is then always [0]), then the
    // whole list for duplicate names.
    QJsonArray all;
    for (int i = 0; i < rows.size(); ++i) {
        QJsonArray values;
        for (const QJsonValue& v : parseValues(rows[i].values))
            values.append(v);
        const QJsonObject p{{QStringLiteral("name"), rows[i].name.trimmed()}, {QStringLiteral("values"), values}};
        const QString where = rows[i].name.trimmed().isEmpty() ? QStringLiteral("row %1").arg(i + 1)
                                                               : QStringLiteral("parameter '%1'").arg(rows[i].name.trimmed());
        auto parsed = ConfigSpace::parametersFromJson(QJsonObject{{QStringLiteral("parameters"), QJsonArray{p}}}, where);
        if (!parsed) {
            QString message = parsed.error();
            message.replace(QStringLiteral("parameters[0]."), QString());
            c.parameterErrors.insert(i, message);
            continue;
        }
        for (const Parameter& q : std::as_const(c.parameters)) {
            if (q.name == parsed->first().name)
                c.parameterErrors.insert(i, QStringLiteral("duplicate parameter '%1'").arg(q.name));
        }
        if (!c.parameterErrors.contains(i))
            c.parameters.append(parsed->first());
    }
    if (rows.isEmpty())
        c.parameterErrors.insert(-1, QStringLiteral("a space needs at least one parameter"));

    const QStringList lines = constraintText.split(QLatin1Char('\n'));
    for (int line = 0; line < lines.size(); ++line) {
        const QString text = lines[line].trimmed();
        if (text.isEmpty() || text.startsWith(QLatin1Char('#')))
            continue;
        c.constraints.append(text);
        c.constraintLines.append(line);
        // Against the parameters that parsed: a constraint over a broken row is not blamed twice.
        if (!c.parameterErrors.isEmpty())
            continue;
        auto compiled = ConstraintSet::compile(c.parameters, QStringList{text});
        if (!compiled) {
            QString message = compiled.error();
            message.replace(QStringLiteral("constraint 1 "), QStringLiteral("constraint "));
            c.constraintErrors.insert(line, message);
        }
    }
    return c;
}

SpaceDraft::Count SpaceDraft::count(const Checked& checked)
{
    if (!checked.ok())
        return Count{-1, 0, QStringLiteral("the space has errors")};
    // Counted by enumerating, not by building a ConfigSpace: nothing is stored, so a draft of
    // 10^8 configurations costs no memory, and counting stops at the most a space may hold.
    quint64 product = 1;
    for (const Parameter& p : checked.parameters) {
        const quint64 n = quint64(p.values.size());
        if (product > (quint64(1) << 62) / n)
            return Count{-1, 0, QStringLiteral("the Cartesian product of the parameters exceeds 2^62 combinations")};
        product *= n;
    }
    auto constraints = ConstraintSet::compile(checked.parameters, checked.constraints);
    if (!constraints)
        return Count{-1, product, constraints.error()};
    qint64 valid = 0;
    auto run = constraints->enumerate([&valid](quint64) { return ++valid < kMaxCount; });
    if (!run)
        return Count{-1, product, run.error()};
    if (valid >= kMaxCount)
        return Count{-1, product, QStringLiteral("more than %1 valid configurations, the most a space may hold; narrow it with constraints")
                                      .arg(QLocale().toString(kMaxCount))};
    return Count{valid, product, QString()};
}

Result<QByteArray> SpaceDraft::toSpaceFile() const
{
    const Checked c = check();
    if (!c.ok()) {
        const QString first = !c.parameterErrors.isEmpty()
            ? c.parameterErrors.first()
            : QStringLiteral("line %1: %2").arg(c.constraintErrors.firstKey() + 1).arg(c.constraintErrors.first());
        return Error{QStringLiteral("the space has errors: %1").arg(first)};
    }
    QJsonObject root;
    if (!name.trimmed().isEmpty())
        root.insert(QStringLiteral("name"), name.trimmed());
    QJsonArray params;
    for (const Parameter& p : c.parameters) {
        QJsonArray values;
        for (const QJsonValue& v : p.values)
            values.append(v);
        params.append(QJsonObject{{QStringLiteral("name"), p.name}, {QStringLiteral("values"), values}});
    }
    root.insert(QStringLiteral("parameters"), params);
    if (!c.constraints.isEmpty())
        root.insert(QStringLiteral("constraints"), QJsonArray::fromStringList(c.constraints));
    const QByteArray text = QJsonDocument(root).toJson(QJsonDocument::Indented);
    auto parsed = ConfigSpace::fromJson(text, name.isEmpty() ? QStringLiteral("space") : name);
    if (!parsed)
        return Error{parsed.error()};
    return text;
}

} // namespace dv::studio

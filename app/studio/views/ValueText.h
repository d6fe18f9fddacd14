#pragma once

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QString>

namespace dv::studio {

/// A parameter value as a user reads it: strings bare, numbers and booleans as JSON writes them.
inline QString valueText(const QJsonValue& v)
{
    return v.isString() ? v.toString()
                        : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

} // namespace dv::studio

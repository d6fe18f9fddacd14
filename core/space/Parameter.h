#pragma once

#include <QJsonValue>
#include <QString>
#include <QVector>

namespace dv {

enum class ParameterType { Int, Float, Bool, String };

/// A tunable parameter: a name and its ordered list of candidate values (all of one type).
struct Parameter {
    QString name;
    ParameterType type = ParameterType::Int;
    QVector<QJsonValue> values;
};

/// "int", "float", "bool" or "string".
QString parameterTypeName(ParameterType type);

} // namespace dv

#include "space/Parameter.h"

namespace dv {

QString parameterTypeName(ParameterType type)
{
    switch (type) {
    case ParameterType::Int: return QStringLiteral("int");
    case ParameterType::Float: return QStringLiteral("float");
    case ParameterType::Bool: return QStringLiteral("bool");
    case ParameterType::String: return QStringLiteral("string");
    }
    return QStringLiteral("int");
}

} // namespace dv

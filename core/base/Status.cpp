#include "base/Status.h"

namespace dv {

QString statusName(Status status)
{
    switch (status) {
    case Status::Ok: return QStringLiteral("ok");
    case Status::Invalid: return QStringLiteral("invalid");
    case Status::CompileError: return QStringLiteral("compile_error");
    case Status::RuntimeError: return QStringLiteral("runtime_error");
    case Status::WrongResult: return QStringLiteral("wrong_result");
    case Status::Timeout: return QStringLiteral("timeout");
    case Status::Crashed: return QStringLiteral("crashed");
    }
    return QStringLiteral("invalid");
}

std::optional<Status> statusFromName(const QString& name)
{
    for (Status s : kAllStatuses) {
        if (statusName(s) == name)
            return s;
    }
    return std::nullopt;
}

} // namespace dv

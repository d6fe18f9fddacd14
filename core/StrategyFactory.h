#pragma once

#include "Result.h"
#include "Strategy.h"

#include <QStringList>

#include <memory>

namespace dv {

/// Creates strategies by name, so the CLI, the studio and the benchmark share one list.
class StrategyFactory {
public:
    static QStringList names();
    static Result<std::unique_ptr<Strategy>> create(const QString& name, const QJsonObject& options = {});
};

} // namespace dv

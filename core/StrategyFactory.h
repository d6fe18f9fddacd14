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
    /// The strategy every front end starts with when none is given (`tune`, `ladder`, `replay`,
    /// `bench-strategies`, the studio, SessionOptions): the project's best tuner on the recorded
    /// landscapes (docs/benchmarks.md).
    static QString defaultName() { return QStringLiteral("bayes"); }
    /// The seed every front end starts with when none is given.
    static constexpr quint64 kDefaultSeed = 1;
    static Result<std::unique_ptr<Strategy>> create(const QString& name, const QJsonObject& options = {});
};

} // namespace dv

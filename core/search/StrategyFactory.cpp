#include "search/StrategyFactory.h"

#include "search/BayesianStrategy.h"
#include "search/GeneticStrategy.h"
#include "search/GridStrategy.h"
#include "search/LocalSearchStrategy.h"
#include "search/RandomStrategy.h"
#include "search/RefreshStrategy.h"

namespace dv {

QStringList StrategyFactory::names()
{
    return {QStringLiteral("grid"), QStringLiteral("random"), QStringLiteral("local"), QStringLiteral("genetic"),
            QStringLiteral("bayes")};
}

Result<std::unique_ptr<Strategy>> StrategyFactory::create(const QString& name, const QJsonObject& options)
{
    std::unique_ptr<Strategy> s;
    if (name == QLatin1String("grid"))
        s = std::make_unique<GridStrategy>();
    else if (name == QLatin1String("random"))
        s = std::make_unique<RandomStrategy>();
    else if (name == QLatin1String("local"))
        s = std::make_unique<LocalSearchStrategy>();
    else if (name == QLatin1String("genetic"))
        s = std::make_unique<GeneticStrategy>();
    else if (name == QLatin1String("bayes"))
        s = std::make_unique<BayesianStrategy>(options);
    else if (name == QLatin1String("refresh")) // made by `dejavu-tune refresh`; not in names(): resumed by name only
        s = std::make_unique<RefreshStrategy>(options);
    else
        return Error{QStringLiteral("unknown strategy '%1' (known: %2)").arg(name, names().join(QStringLiteral(", ")))};
    return s;
}

} // namespace dv

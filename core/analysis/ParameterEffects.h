#pragma once

#include "analysis/Landscape.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QJsonValue>
#include <QString>
#include <QVector>

#include <vector>

namespace dv {

/// How the time of one parameter value is distributed over everything measured with it.
struct ValueEffect {
    QJsonValue value;
    int measured = 0; ///< configurations measured with this value, failed ones included
    int ok = 0;       ///< of which ran
    double minMs;     ///< over the ok ones; NaN when ok == 0
    double q1Ms;      ///< 25th percentile (lower edge of a box plot)
    double medianMs;
    double q3Ms;      ///< 75th percentile (upper edge of a box plot)
    double p80Ms;
    double maxMs;
    QVector<double> okMs; ///< the ok times themselves, ascending (for strip plots)
};

/// One parameter's per-value distributions and its importance.
struct ParameterEffect {
    QString name;
    int parameter = -1; ///< index in the space
    QVector<ValueEffect> values;
    /// Share of the variance of log(time) explained by this parameter's value means (the
    /// correlation ratio eta^2 = between-value sum of squares / total sum of squares, over ok
    /// measurements). 0: the value does not matter on its own; 1: it determines the time.
    /// Main effects only: interactions are not attributed, so shares need not sum to 1.
    double importance = 0;
};

/// Parameter effects of a set of measurements. Quantiles interpolate linearly between order
/// statistics (numpy's default, "type 7"). Log time is used for importance because kernel times
/// spread over orders of magnitude and slowdowns are ratios.
class ParameterEffects {
public:
    struct Sample {
        qint64 spaceIndex;
        Status status;
        double objectiveMs;
    };

    static QVector<ParameterEffect> compute(const ConfigSpace& space, const std::vector<Sample>& samples);
    static QVector<ParameterEffect> fromLandscape(const Landscape& landscape);
    /// Trials whose configuration is not in the space are ignored.
    static QVector<ParameterEffect> fromTrials(const ConfigSpace& space, const QVector<Trial>& trials);

    /// Parameter indices (into the returned vector) by decreasing importance; ties keep space order.
    static QVector<int> ranking(const QVector<ParameterEffect>& effects);
};

} // namespace dv

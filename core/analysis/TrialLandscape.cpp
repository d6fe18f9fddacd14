#include "analysis/TrialLandscape.h"

#include <limits>

namespace dv {

Landscape TrialLandscape::build(const QString& name, const QString& deviceName, const ConfigSpace& space,
                                const QVector<Trial>& trials)
{
    Landscape l;
    l.name = name;
    l.deviceName = deviceName;
    l.space = space;
    l.status.assign(size_t(space.size()), Status::Invalid);
    l.objectiveMs.assign(size_t(space.size()), std::numeric_limits<double>::quiet_NaN());
    l.measured.assign(size_t(space.size()), false);
    for (const Trial& t : trials) {
        qint64 index = t.spaceIndex;
        if (index < 0 || index >= space.size() || space.key(index) != t.configKey)
            index = space.indexOf(t.config);
        if (index < 0)
            continue;
        const size_t i = size_t(index);
        const Measurement& m = t.measurement;
        l.measured[i] = true;
        if (m.isOk()) {
            if (l.status[i] != Status::Ok || m.objectiveMs < l.objectiveMs[i]) {
                l.status[i] = Status::Ok;
                l.objectiveMs[i] = m.objectiveMs;
            }
        } else if (l.status[i] != Status::Ok) {
            l.status[i] = m.status;
        }
    }
    return l;
}

} // namespace dv

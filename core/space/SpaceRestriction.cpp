#include "space/SpaceRestriction.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace dv {

namespace {

QString valueText(const QJsonValue& v)
{
    if (v.isString())
        return QStringLiteral("'%1'").arg(v.toString());
    return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

} // namespace

Result<ConfigSpace> SpaceRestriction::apply(const ConfigSpace& device, const QJsonObject& narrowed, const QString& source)
{
    auto parsed = ConfigSpace::fromJson(QJsonDocument(narrowed).toJson(QJsonDocument::Compact), source);
    if (!parsed)
        return Error{parsed.error()};
    const ConfigSpace& wanted = parsed.value();

    QSet<QString> deviceNames;
    for (const Parameter& p : device.parameters())
        deviceNames.insert(p.name);
    for (const Parameter& p : wanted.parameters()) {
        if (!deviceNames.contains(p.name))
            return Error{QStringLiteral("%1: parameter '%2' is not a parameter of the device's space '%3'")
                             .arg(source, p.name, device.name())};
    }

    // The device's parameter order, each with the narrowed values (in the device's value order).
    QVector<Parameter> parameters;
    for (int d = 0; d < device.dimensions(); ++d) {
        const Parameter& dp = device.parameters()[d];
        int w = -1;
        for (int i = 0; i < wanted.dimensions(); ++i)
            if (wanted.parameters()[i].name == dp.name)
                w = i;
        if (w < 0)
            return Error{QStringLiteral("%1: parameter '%2' of the device's space '%3' is missing (list the values to keep)")
                             .arg(source, dp.name, device.name())};
        const Parameter& wp = wanted.parameters()[w];
        QSet<int> keep;
        for (const QJsonValue& v : wp.values) {
            const int index = device.valueIndex(d, v);
            if (index < 0)
                return Error{QStringLiteral("%1: parameter '%2': value %3 is not one of the device's values")
                                 .arg(source, dp.name, valueText(v))};
            keep.insert(index);
        }
        Parameter p = dp;
        p.values.clear();
        for (int i = 0; i < dp.values.size(); ++i)
            if (keep.contains(i))
                p.values.append(dp.values[i]);
        parameters.append(p);
    }

    // Every combination the narrowed space allows (its constraints included) that the device has.
    auto product = ConfigSpace::create(wanted.name(), parameters, wanted.constraints());
    if (!product)
        return Error{QStringLiteral("%1: %2").arg(source, product.error())};
    std::vector<quint64> ordinals;
    for (qint64 i = 0; i < product.value().size(); ++i)
        if (device.indexOf(product.value().config(i)) >= 0)
            ordinals.push_back(product.value().ordinal(i));
    if (ordinals.empty())
        return Error{QStringLiteral("%1: the space allows none of the %2 configurations of the device's space '%3'")
                         .arg(source).arg(device.size()).arg(device.name())};
    return ConfigSpace::fromOrdinals(wanted.name(), parameters, std::move(ordinals));
}

} // namespace dv

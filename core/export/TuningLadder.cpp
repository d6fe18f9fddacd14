#include "export/TuningLadder.h"

#include "base/JsonUtil.h"
#include "session/BestTrial.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace dv {

bool TuningLadder::isExportable(const Measurement& m)
{
    return BestTrial::isExportable(m);
}

QVector<qint64> TuningLadder::powersOfTwo(qint64 first, qint64 last)
{
    QVector<qint64> out;
    for (qint64 v = 1; v > 0 && v <= last; v *= 2)
        if (v >= first)
            out.append(v);
    return out;
}

Result<qint64> TuningLadder::problemValue(const QString& problem, int position)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray("[") + problem.toUtf8() + "]");
    QJsonArray values = doc.array();
    if (values.size() == 1 && values[0].isArray())
        values = values[0].toArray();
    if (!doc.isArray() || position < 0 || position >= values.size())
        return Error{QStringLiteral("problem '%1' has no value at position %2").arg(problem).arg(position)};
    const QJsonValue v = values[position];
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || std::floor(d) != d)
        return Error{QStringLiteral("problem '%1': %2 at position %3 is not an integer").arg(problem, jsonText(v)).arg(position)};
    return qint64(d);
}

Result<void> TuningLadder::checkDevice(const QString& deviceName, const QString& what)
{
    if (deviceName.isEmpty())
        return {};
    if (m_deviceName.isEmpty()) {
        m_deviceName = deviceName;
        return {};
    }
    if (deviceName != m_deviceName)
        return Error{QStringLiteral("%1 was measured on '%2' but the ladder holds '%3': one ladder per GPU").arg(what, deviceName, m_deviceName)};
    return {};
}

Result<void> TuningLadder::addTrials(qint64 key, const QVector<Trial>& trials, const QString& deviceName,
                                     const QString& origin, double benchSeconds)
{
    if (auto ok = checkDevice(deviceName, origin); !ok)
        return ok;
    LadderRung& rung = m_rungs[key];
    const bool fresh = rung.evaluations == 0 && rung.config.isEmpty();
    rung.key = key;
    rung.evaluations += int(trials.size());
    rung.benchSeconds += benchSeconds;
    // The session's best by the one rule (re-measured median when there is one); then the
    // fastest of the sessions of this key.
    if (const auto best = BestTrial::of(trials)) {
        const Measurement reported = BestTrial::reported(*best);
        if (rung.config.isEmpty() || reported.objectiveMs < rung.measurement.objectiveMs) {
            rung.config = best->config;
            rung.measurement = reported;
            rung.origin = origin;
        }
    }
    if (rung.config.isEmpty() && fresh) {
        m_rungs.remove(key);
        return Error{QStringLiteral("%1: no ok, verified configuration for key %2 (%3 trials)").arg(origin).arg(key).arg(trials.size())};
    }
    return {};
}

Result<void> TuningLadder::addLandscape(qint64 key, const Landscape& landscape)
{
    if (auto ok = checkDevice(landscape.deviceName, QStringLiteral("landscape %1").arg(landscape.name)); !ok)
        return ok;
    m_landscapes.insert(key, landscape);
    return {};
}

QVector<LadderRung> TuningLadder::rungs() const
{
    QVector<LadderRung> out;
    for (const LadderRung& r : m_rungs)
        out.append(r);
    return out;
}

std::optional<qint64> TuningLadder::entryFor(qint64 target, Lookup lookup) const
{
    if (m_rungs.contains(target))
        return target;
    if (lookup == Lookup::Exact || m_rungs.isEmpty())
        return std::nullopt;
    // vLLM: min(keys, key=lambda x: abs(x - M)) over keys in ascending order, so ties go low.
    std::optional<qint64> best;
    for (auto it = m_rungs.keyBegin(); it != m_rungs.keyEnd(); ++it) {
        const qint64 k = *it;
        if (!best || std::llabs(k - target) < std::llabs(*best - target))
            best = k;
    }
    return best;
}

QVector<CoverageRow> TuningLadder::coverage(const QVector<qint64>& targets, Lookup lookup) const
{
    QVector<CoverageRow> rows;
    for (qint64 target : targets) {
        CoverageRow row;
        row.target = target;
        row.usedKey = entryFor(target, lookup);
        const auto landscape = m_landscapes.constFind(target);
        const bool haveLandscape = landscape != m_landscapes.constEnd();
        if (haveLandscape)
            row.bestMs = landscape->bestMs();
        else if (m_rungs.contains(target))
            row.bestMs = m_rungs.value(target).measurement.objectiveMs;
        if (!row.usedKey) {
            row.note = QStringLiteral("no entry: the consumer tunes at start-up");
            rows.append(row);
            continue;
        }
        const LadderRung& used = m_rungs[*row.usedKey];
        if (haveLandscape) {
            const qint64 index = landscape->space.indexOf(used.config);
            if (index < 0) {
                row.note = QStringLiteral("configuration not in the landscape of this key");
            } else if (!landscape->isOk(index)) {
                row.usedMs = std::numeric_limits<double>::infinity();
                row.note = QStringLiteral("configuration fails at this key (%1)").arg(statusName(landscape->status[size_t(index)]));
            } else {
                row.usedMs = landscape->objectiveMs[size_t(index)];
            }
        } else if (*row.usedKey == target) {
            row.usedMs = used.measurement.objectiveMs;
            row.note = QStringLiteral("tuned here; no landscape to compare with");
        } else {
            row.note = QStringLiteral("not measured at this key");
        }
        if (std::isfinite(row.bestMs) && !std::isnan(row.usedMs))
            row.slowdown = row.usedMs / row.bestMs;
        rows.append(row);
    }
    return rows;
}

QString TuningLadder::coverageTable(const QVector<CoverageRow>& rows)
{
    auto num = [](double v) {
        if (std::isnan(v))
            return QStringLiteral("?");
        if (std::isinf(v))
            return QStringLiteral("fails");
        return QString::number(v, 'g', 5);
    };
    QString out = QStringLiteral("%1 %2 %3 %4 %5  %6\n")
                      .arg(QStringLiteral("key"), 10)
                      .arg(QStringLiteral("uses"), 10)
                      .arg(QStringLiteral("time_ms"), 12)
                      .arg(QStringLiteral("best_ms"), 12)
                      .arg(QStringLiteral("slowdown"), 9)
                      .arg(QStringLiteral("note"));
    for (const CoverageRow& r : rows) {
        out += QStringLiteral("%1 %2 %3 %4 %5  %6\n")
                   .arg(r.target, 10)
                   .arg(r.usedKey ? QString::number(*r.usedKey) : QStringLiteral("-"), 10)
                   .arg(num(r.usedMs), 12)
                   .arg(num(r.bestMs), 12)
                   .arg(std::isnan(r.slowdown) ? QStringLiteral("?") : QString::number(r.slowdown, 'f', 3), 9)
                   .arg(r.note);
    }
    return out;
}

} // namespace dv

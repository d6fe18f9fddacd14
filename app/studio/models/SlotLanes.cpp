#include "models/SlotLanes.h"

#include "views/ValueText.h"

#include <QStringList>

#include <algorithm>

namespace dv::studio {

namespace {
constexpr qint64 kMinuteMs = 60 * 1000;
} // namespace

void SlotLanes::reset(qint64 nowMs)
{
    m_lanes.clear();
    m_startMs = nowMs;
    m_evaluations = 0;
    m_fromStore = 0;
    m_measured = 0;
    m_recent.clear();
}

void SlotLanes::addSession(qint64 sessionId, const QString& gpu, int slotCount)
{
    for (int slot = 0; slot < slotCount; ++slot) {
        if (laneOf(sessionId, slot) >= 0)
            continue; // a session announced twice keeps its lanes
        Lane l;
        l.sessionId = sessionId;
        l.slot = slot;
        l.gpu = gpu;
        m_lanes.append(l);
    }
}

int SlotLanes::laneOf(qint64 sessionId, int slot) const
{
    for (int i = 0; i < m_lanes.size(); ++i)
        if (m_lanes[i].sessionId == sessionId && m_lanes[i].slot == slot)
            return i;
    return -1;
}

SlotLanes::Lane* SlotLanes::lane(qint64 sessionId, int slot)
{
    const int i = laneOf(sessionId, slot);
    if (i >= 0)
        return &m_lanes[i];
    if (slot < 0)
        return nullptr;
    // A signal of a session not announced (a slot added later): it still gets a lane, so
    // nothing measured goes uncounted.
    Lane l;
    l.sessionId = sessionId;
    l.slot = slot;
    m_lanes.append(l);
    return &m_lanes.last();
}

void SlotLanes::slotStarted(qint64 sessionId, int slot, const QJsonObject& config, qint64 nowMs)
{
    if (Lane* l = lane(sessionId, slot)) {
        l->busy = true;
        l->inFlight = config;
        l->startedMs = nowMs;
    }
}

void SlotLanes::trialFinished(const Trial& trial, qint64 nowMs)
{
    ++m_evaluations;
    if (trial.fromStore || trial.slot < 0) {
        ++m_fromStore;
        return;
    }
    ++m_measured;
    m_recent.push_back(nowMs);
    prune(nowMs);
    Lane* l = lane(trial.sessionId, trial.slot);
    // A slot's next start comes after its trial is stored (one thread emits both, in order), so
    // the trial in flight is this one unless it was already superseded.
    if (l->inFlight == trial.config)
        l->busy = false;
    l->hasResult = true;
    l->lastStatus = trial.measurement.status;
    l->lastMs = trial.measurement.objectiveMs;
    ++l->evaluations;
    if (!trial.measurement.isOk())
        ++l->failures;
}

void SlotLanes::slotLost(qint64 sessionId, int slot, const QString& why)
{
    if (Lane* l = lane(sessionId, slot)) {
        l->lost = true;
        l->lostReason = why;
        l->busy = false; // its configuration was freed, not stored
    }
}

void SlotLanes::prune(qint64 nowMs) const
{
    while (!m_recent.empty() && m_recent.front() <= nowMs - kMinuteMs)
        m_recent.pop_front();
}

int SlotLanes::lastMinute(qint64 nowMs) const
{
    prune(nowMs);
    return int(m_recent.size());
}

double SlotLanes::perMinuteRecent(qint64 nowMs) const
{
    const qint64 span = std::min(nowMs - m_startMs, kMinuteMs);
    if (span < 1000)
        return 0;
    return double(lastMinute(nowMs)) * double(kMinuteMs) / double(span);
}

double SlotLanes::perMinuteOverall(qint64 nowMs) const
{
    const qint64 elapsed = nowMs - m_startMs;
    if (elapsed < 1000)
        return 0;
    return double(m_measured) * double(kMinuteMs) / double(elapsed);
}

QString SlotLanes::compact(const QJsonObject& config)
{
    QStringList parts;
    for (auto it = config.constBegin(); it != config.constEnd(); ++it)
        parts.append(it.key() + QLatin1Char('=') + valueText(it.value()));
    return parts.join(QLatin1Char(' '));
}

} // namespace dv::studio

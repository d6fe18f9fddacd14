#pragma once

#include "session/Trial.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

#include <deque>

namespace dv::studio {

/// What each device slot of the running session(s) is doing, fed with the engine's signals
/// (Session::slotStarted, trialFinished, slotLost, forwarded by SessionRunner): a lane per slot
/// with the configuration in flight and since when, its last result, its counts of evaluations
/// and failures, or the reason its device was lost; plus throughput. A pool of several GPU types
/// has one session per type: lanes are keyed by session and slot. Times are milliseconds of one
/// monotonic clock the caller passes in, so the counts and rates are testable without waiting.
class SlotLanes {
public:
    struct Lane {
        qint64 sessionId = 0;
        int slot = 0;
        QString gpu;           ///< the GPU name of the session's device
        bool busy = false;     ///< a configuration is in flight
        QJsonObject inFlight;  ///< the configuration being measured (when busy)
        qint64 startedMs = 0;  ///< when it started (when busy)
        bool hasResult = false;
        Status lastStatus = Status::Ok;
        double lastMs = 0;     ///< the last result's objective (when it was ok)
        int evaluations = 0;   ///< trials this slot measured and the session stored
        int failures = 0;      ///< of which not ok
        bool lost = false;
        QString lostReason;
    };

    /// Forgets every lane and restarts the throughput count at `nowMs` (a new run).
    void reset(qint64 nowMs);
    /// Adds the lanes of a session that runs on `slotCount` slots of `gpu`.
    void addSession(qint64 sessionId, const QString& gpu, int slotCount);

    void slotStarted(qint64 sessionId, int slot, const QJsonObject& config, qint64 nowMs);
    /// A stored trial: counted on the lane that measured it (Trial::slot), or as answered from
    /// the store (slot -1, no lane).
    void trialFinished(const Trial& trial, qint64 nowMs);
    void slotLost(qint64 sessionId, int slot, const QString& why);

    const QVector<Lane>& lanes() const { return m_lanes; }
    /// The index of a lane in lanes(), or -1.
    int laneOf(qint64 sessionId, int slot) const;

    /// Every trial stored since reset(), from the store included.
    int evaluations() const { return m_evaluations; }
    int fromStore() const { return m_fromStore; }
    /// Evaluations the slots finished during the minute before `nowMs` (store answers excluded).
    int lastMinute(qint64 nowMs) const;
    /// Evaluations per minute over the last minute (over the time since reset() while that is
    /// shorter), slots only; 0 before a second has passed.
    double perMinuteRecent(qint64 nowMs) const;
    /// Evaluations per minute since reset(), slots only; 0 before a second has passed.
    double perMinuteOverall(qint64 nowMs) const;

    /// "BLOCK_M=64 BLOCK_N=128 …": a configuration on one line, parameters in key order.
    static QString compact(const QJsonObject& config);

private:
    Lane* lane(qint64 sessionId, int slot);
    void prune(qint64 nowMs) const;

    QVector<Lane> m_lanes;
    qint64 m_startMs = 0;
    int m_evaluations = 0;
    int m_fromStore = 0;
    int m_measured = 0;
    mutable std::deque<qint64> m_recent; ///< finish times of the last minute
};

} // namespace dv::studio

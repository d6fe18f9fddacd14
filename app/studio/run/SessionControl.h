#pragma once

#include <QObject>
#include <QString>

namespace dv::studio {

/// The run state of the studio's session and which of Start, Pause, Resume and Stop apply.
/// The window drives it from user actions and the runner's signals; actions and buttons read
/// the can*() answers, so the rules live here, testable without widgets.
class SessionControl : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Pausing, Paused, Stopping };
    Q_ENUM(State)

    using QObject::QObject;

    State state() const { return m_state; }
    /// A short word for the status bar ("Running", "Paused", ...).
    QString stateText() const;
    /// The session Resume continues: the one paused or stopped, or a stored one reopened; 0 if none.
    qint64 resumableId() const { return m_resumableId; }
    /// Whether a session's engine run is in progress (including one asked to pause or stop).
    bool isActive() const;

    bool canStart() const;
    bool canPause() const { return m_state == State::Running; }
    bool canResume() const;
    bool canStop() const;

    /// A run begins (new or resumed).
    void started();
    void pauseRequested();
    void stopRequested();
    /// The runner stopped at a pause request; the session can be resumed.
    void paused(qint64 sessionId);
    /// A stop of a paused session: nothing runs, so it ends at once (still resumable later).
    void stoppedWhilePaused();
    /// The run ended; `resumableId` is the session if it can be continued (it was stopped), else 0.
    void ended(qint64 resumableId);
    /// A stored session is shown while idle; `resumable` when its state allows continuing it.
    void storedSessionShown(qint64 sessionId, bool resumable);

signals:
    void changed();

private:
    void set(State state, qint64 resumableId);

    State m_state = State::Idle;
    qint64 m_resumableId = 0;
};

} // namespace dv::studio

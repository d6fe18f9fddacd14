#include "run/SessionControl.h"

namespace dv::studio {

QString SessionControl::stateText() const
{
    switch (m_state) {
    case State::Idle: return tr("Idle");
    case State::Running: return tr("Running");
    case State::Pausing: return tr("Pausing…");
    case State::Paused: return tr("Paused");
    case State::Stopping: return tr("Stopping…");
    }
    return {};
}

bool SessionControl::isActive() const
{
    return m_state == State::Running || m_state == State::Pausing || m_state == State::Stopping;
}

bool SessionControl::canStart() const { return m_state == State::Idle || m_state == State::Paused; }

bool SessionControl::canResume() const
{
    return (m_state == State::Idle || m_state == State::Paused) && m_resumableId > 0;
}

bool SessionControl::canStop() const
{
    return m_state == State::Running || m_state == State::Pausing || m_state == State::Paused;
}

void SessionControl::started() { set(State::Running, 0); }

void SessionControl::pauseRequested()
{
    if (m_state == State::Running)
        set(State::Pausing, m_resumableId);
}

void SessionControl::stopRequested()
{
    if (m_state == State::Running || m_state == State::Pausing)
        set(State::Stopping, m_resumableId);
}

void SessionControl::paused(qint64 sessionId) { set(State::Paused, sessionId); }
void SessionControl::stoppedWhilePaused() { set(State::Idle, m_resumableId); }
void SessionControl::ended(qint64 resumableId) { set(State::Idle, resumableId); }

void SessionControl::storedSessionShown(qint64 sessionId, bool resumable)
{
    if (!isActive())
        set(State::Idle, resumable ? sessionId : 0);
}

void SessionControl::set(State state, qint64 resumableId)
{
    if (state == m_state && resumableId == m_resumableId)
        return;
    m_state = state;
    m_resumableId = resumableId;
    emit changed();
}

} // namespace dv::studio

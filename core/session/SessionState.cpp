#include "session/SessionState.h"

namespace dv {

QString sessionStateName(SessionState state)
{
    switch (state) {
    case SessionState::Running: return QStringLiteral("running");
    case SessionState::Paused: return QStringLiteral("paused");
    case SessionState::Stopped: return QStringLiteral("stopped");
    case SessionState::Finished: return QStringLiteral("finished");
    case SessionState::Failed: return QStringLiteral("failed");
    }
    return QStringLiteral("failed"); // unreachable: every enumerator is handled above
}

bool isResumableState(const QString& name)
{
    const auto state = sessionStateFromName(name);
    return state && (*state == SessionState::Stopped || *state == SessionState::Paused || *state == SessionState::Running);
}

std::optional<SessionState> sessionStateFromName(const QString& name)
{
    for (SessionState s : kAllSessionStates)
        if (sessionStateName(s) == name)
            return s;
    return std::nullopt;
}

} // namespace dv

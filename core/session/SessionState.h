#pragma once

#include <QString>

#include <optional>

namespace dv {

/// Where a stored session stands. The store, bundles and the CLI keep the lower-case name
/// (sessionStateName), so files written before the enum read back the same.
enum class SessionState {
    Running,  ///< being run now, or the process running it died
    Paused,   ///< stopped by the studio's pause, to be resumed
    Stopped,  ///< stopped early (Ctrl-C, a stop button, a time limit, no improvement); resumable
    Finished, ///< ran to its budget or exhausted the space
    Failed,   ///< ended by an error
};

/// "running", "paused", "stopped", "finished" or "failed".
QString sessionStateName(SessionState state);
/// Parses a name written by sessionStateName(); nullopt for anything else.
std::optional<SessionState> sessionStateFromName(const QString& name);
/// True for a stored state a session can be resumed from: stopped, paused, or running (the
/// process running it died).
bool isResumableState(const QString& name);
/// All states in declaration order.
constexpr SessionState kAllSessionStates[] = {SessionState::Running, SessionState::Paused, SessionState::Stopped,
                                              SessionState::Finished, SessionState::Failed};

} // namespace dv

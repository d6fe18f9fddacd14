#pragma once

#include <atomic>

namespace dv {
class Session;
}

namespace dv::cli {

/// Catches Ctrl-C (SIGINT) and SIGTERM while a command measures, from before its device opens
/// until it ends: the signal interrupts the session and every wait on a worker at once (hello,
/// load, a hung trial, a huge space), the worker's process group is killed, the finished trials
/// stay stored and the session resumable; the command then exits 130 (SIGINT) or 143 (SIGTERM).
/// A second signal ends the program at once with the same status.
///
/// A signal handler has no context, so there is one guard at a time per process.
class SignalGuard {
public:
    SignalGuard();
    ~SignalGuard();
    SignalGuard(const SignalGuard&) = delete;
    SignalGuard& operator=(const SignalGuard&) = delete;

    /// True once a signal came; for DeviceRegistry::open() and the waits of a worker.
    const std::atomic<bool>* flag() const;
    /// The session a signal interrupts (null: none runs). A signal that came before is passed on.
    void setSession(Session* session);
    bool caught() const;
    /// kInterrupted or kTerminated after a signal; kOk before.
    int exitCode() const;
};

} // namespace dv::cli

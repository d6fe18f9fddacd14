#include "SignalGuard.h"

#include "CliSupport.h"

#include "Session.h"

#include <csignal>
#include <cstdlib>

namespace dv::cli {

namespace {

// Lock-free atomics only: all a signal handler may touch.
std::atomic<bool> g_caught{false};
std::atomic<int> g_signal{0};
std::atomic<Session*> g_session{nullptr};
struct sigaction g_previousInt {};
struct sigaction g_previousTerm {};

int codeFor(int sig) { return sig == SIGTERM ? kTerminated : kInterrupted; }

extern "C" void onSignal(int sig)
{
    int first = 0;
    if (!g_signal.compare_exchange_strong(first, sig))
        std::_Exit(codeFor(first)); // the second one: no more waiting
    g_caught.store(true);
    if (Session* s = g_session.load())
        s->interrupt();
}

} // namespace

SignalGuard::SignalGuard()
{
    g_caught = false;
    g_signal = 0;
    g_session = nullptr;
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &g_previousInt);
    sigaction(SIGTERM, &action, &g_previousTerm);
}

SignalGuard::~SignalGuard()
{
    sigaction(SIGINT, &g_previousInt, nullptr);
    sigaction(SIGTERM, &g_previousTerm, nullptr);
    g_session = nullptr;
}

const std::atomic<bool>* SignalGuard::flag() const { return &g_caught; }

void SignalGuard::setSession(Session* session)
{
    g_session = session;
    // A signal between opening the device and here reached no session.
    if (session && g_signal != 0)
        session->interrupt();
}

bool SignalGuard::caught() const { return g_signal != 0; }

int SignalGuard::exitCode() const { return g_signal != 0 ? codeFor(g_signal.load()) : kOk; }

} // namespace dv::cli

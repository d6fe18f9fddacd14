#include "run/SessionRunner.h"

#include "analysis/Landscape.h"
#include "analysis/StrategyBenchmark.h"
#include "device/ReplayDevice.h"

#include <QMutexLocker>

#include <algorithm>

namespace dv::studio {

void SessionRunner::requestStop() { interrupt(false); }
void SessionRunner::requestPause() { interrupt(true); }

void SessionRunner::interrupt(bool pause)
{
    // A stop overrides an earlier pause request; a pause never turns a stop into a pause.
    if (pause && m_stopRequested)
        return;
    m_pauseRequested = pause;
    m_stopRequested = true;
    QMutexLocker lock(&m_mutex);
    if (m_session)
        m_session->stop();
}

void SessionRunner::clearRequests()
{
    m_stopRequested = false;
    m_pauseRequested = false;
}

void SessionRunner::emitReference(const LaunchedSession& launched)
{
    // The reference curve is random search over the whole recorded landscape: shown only when
    // the session searches all of it (not a narrowing from the space editor).
    auto* replay = dynamic_cast<ReplayDevice*>(launched.device.get());
    const Session& session = *launched.session;
    if (replay && session.space().size() == launched.device->workload().space.size()) {
        const Landscape landscape = Landscape::fromCache(replay->cache(), launched.deviceId);
        const int t = int(std::min<qint64>(session.evaluationBudget(), landscape.size()));
        const std::vector<double> curve = StrategyBenchmark::expectedRandomBest(landscape, t);
        emit referenceReady(QVector<double>(curve.begin(), curve.end()));
    }
}

void SessionRunner::run(const RunRequest& request)
{
    if (!request.spaceError.isEmpty()) {
        emit failed(request.spaceError);
        return;
    }
    auto launched = SessionLaunch::open(request);
    if (!launched) {
        emit failed(launched.error());
        return;
    }
    Session& session = *launched->session;
    // Direct connections: these fire in this thread and re-emit; the GUI's connections to this
    // object are queued because it lives in another thread.
    connect(&session, &Session::trialFinished, this, &SessionRunner::trialFinished, Qt::DirectConnection);
    connect(&session, &Session::progress, this, &SessionRunner::progress, Qt::DirectConnection);
    // Session::run() clears earlier stop() calls when it begins, then reports progress before its
    // first proposal: re-applying a pending request there makes a Pause or Stop pressed before
    // the run got going take effect.
    connect(&session, &Session::progress, this, [this, &session] {
        if (m_stopRequested)
            session.stop();
    }, Qt::DirectConnection);

    const SessionRecord& r = session.record();
    emit started(r.id, QStringLiteral("%1 on %2 (%3, session %4)").arg(r.kernel, r.device.name, r.strategy).arg(r.id),
                 session.space());
    emitReference(launched.value());

    {
        QMutexLocker lock(&m_mutex);
        m_session = &session;
        if (m_stopRequested)
            session.stop();
    }
    auto reason = session.run();
    {
        QMutexLocker lock(&m_mutex);
        m_session = nullptr;
    }
    if (!reason) {
        emit failed(reason.error());
        return;
    }
    if (reason.value() == QLatin1String("stopped") && m_pauseRequested) {
        auto marked = launched->store->setSessionState(r.id, SessionState::Paused);
        if (!marked) {
            emit failed(marked.error());
            return;
        }
        emit paused(r.id);
        return;
    }
    emit finished(reason.value());
}

} // namespace dv::studio

#include "run/SessionRunner.h"

#include "analysis/Landscape.h"
#include "analysis/StrategyBenchmark.h"
#include "device/ReplayDevice.h"
#include "session/SessionState.h"

#include <QDir>
#include <QFileInfo>

#include <QMutexLocker>

#include <algorithm>
#include <thread>

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
    for (Session* s : std::as_const(m_sessions))
        s->stop();
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
    if (request.resumeId > 0) {
        // A resumed session goes on with the slots of its own GPU type (SessionLaunch::open).
        auto launched = SessionLaunch::open(request);
        if (!launched) {
            emit failed(launched.error());
            return;
        }
        const qint64 id = launched->session->id();
        report(runLaunched(launched.value(), true), id);
        return;
    }
    if (auto checked = SessionLaunch::checkNew(request); !checked) {
        emit failed(checked.error());
        return;
    }
    auto groups = SessionLaunch::openPool(request);
    if (!groups) {
        emit failed(groups.error());
        return;
    }
    if (groups->size() > 1) {
        runPool(request, groups.value());
        return;
    }
    auto launched = SessionLaunch::openOn(request, groups->front());
    if (!launched) {
        emit failed(launched.error());
        return;
    }
    const qint64 id = launched->session->id();
    report(runLaunched(launched.value(), true), id);
}

Result<QString> SessionRunner::runLaunched(LaunchedSession& launched, bool first)
{
    Session& session = *launched.session;
    const qint64 id = session.id();
    // Direct connections: these fire in the session's thread and re-emit; the GUI's connections
    // to this object are queued because it lives in another thread.
    connect(&session, &Session::trialFinished, this, &SessionRunner::trialFinished, Qt::DirectConnection);
    connect(&session, &Session::slotStarted, this,
            [this, id](int slot, const QJsonObject& config) { emit slotStarted(id, slot, config); }, Qt::DirectConnection);
    connect(&session, &Session::slotLost, this,
            [this, id](int slot, const QString& why) { emit slotLost(id, slot, why); }, Qt::DirectConnection);
    if (first)
        connect(&session, &Session::progress, this, &SessionRunner::progress, Qt::DirectConnection);
    // Session::run() clears earlier stop() calls when it begins, then reports progress before its
    // first proposal: re-applying a pending request there makes a Pause or Stop pressed before
    // the run got going take effect.
    connect(&session, &Session::progress, this, [this, &session] {
        if (m_stopRequested)
            session.stop();
    }, Qt::DirectConnection);

    const SessionRecord& r = session.record();
    const QString title = QStringLiteral("%1 on %2 (%3, session %4)").arg(r.kernel, r.device.name, r.strategy).arg(r.id);
    if (first) {
        emit started(r.id, title, session.space());
        emitReference(launched);
    } else {
        emit poolSessionStarted(r.id, title);
    }
    emit slotsReady(r.id, r.device.name, session.slotCount());

    {
        QMutexLocker lock(&m_mutex);
        m_sessions.append(&session);
        if (m_stopRequested)
            session.stop();
    }
    auto reason = session.run();
    {
        QMutexLocker lock(&m_mutex);
        m_sessions.removeOne(&session);
    }
    if (reason && reason.value() == QLatin1String("stopped") && m_pauseRequested) {
        if (auto marked = launched.store->setSessionState(id, SessionState::Paused); !marked)
            return Error{marked.error()};
    }
    return reason;
}

void SessionRunner::runPool(const RunRequest& request, const std::vector<SessionLaunch::SlotGroup>& groups)
{
    // The schema is created once, before the sessions open the database at the same time.
    QDir().mkpath(QFileInfo(request.databasePath).absolutePath());
    if (auto store = ResultStore::open(request.databasePath); !store) {
        emit failed(store.error());
        return;
    }
    auto first = SessionLaunch::openOn(request, groups.front());
    if (!first) {
        emit failed(first.error());
        return;
    }
    struct Member {
        std::thread thread;
        QString gpu;
        Result<QString> reason = Error{QString()};
    };
    std::vector<std::unique_ptr<Member>> members;
    for (size_t i = 1; i < groups.size(); ++i) {
        members.push_back(std::make_unique<Member>());
        Member* m = members.back().get();
        m->gpu = groups[i].front()->info().name;
        // Each session of the pool opens its store in the thread that runs it.
        m->thread = std::thread([this, m, request, group = groups[i]] {
            auto launched = SessionLaunch::openOn(request, group);
            m->reason = launched ? runLaunched(launched.value(), false) : Result<QString>(Error{launched.error()});
        });
    }
    auto reason = runLaunched(first.value(), true);
    for (auto& m : members)
        m->thread.join();
    // A failure of any session of the pool fails the run, naming its GPU.
    for (auto& m : members) {
        if (reason && !m->reason)
            reason = Error{tr("%1: %2").arg(m->gpu, m->reason.error())};
    }
    report(reason, first->session->id());
}

void SessionRunner::report(const Result<QString>& reason, qint64 sessionId)
{
    if (!reason) {
        emit failed(reason.error());
        return;
    }
    if (reason.value() == QLatin1String("stopped") && m_pauseRequested) {
        emit paused(sessionId);
        return;
    }
    emit finished(reason.value());
}

} // namespace dv::studio

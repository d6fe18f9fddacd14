#include "SessionRunner.h"

#include "analysis/Landscape.h"
#include "analysis/StrategyBenchmark.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"

#include <QJsonArray>
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

void SessionRunner::run(const RunRequest& request)
{
    auto store = ResultStore::open(request.databasePath);
    if (!store) {
        emit failed(store.error());
        return;
    }
    auto opened = DeviceRegistry::open(request.deviceId);
    if (!opened) {
        emit failed(opened.error());
        return;
    }
    std::shared_ptr<Device> device(std::move(opened.value()));
    auto* replay = dynamic_cast<ReplayDevice*>(device.get());
    if (replay)
        replay->setSimulatedLatencyMs(request.simulatedLatencyMs);

    if (!request.spaceError.isEmpty()) {
        emit failed(request.spaceError);
        return;
    }
    SessionOptions options = request.options;
    if (!request.warmStartDeviceId.isEmpty() && request.resumeId == 0) {
        auto source = DeviceRegistry::open(request.warmStartDeviceId);
        auto* recorded = source ? dynamic_cast<ReplayDevice*>(source.value().get()) : nullptr;
        if (!recorded) {
            emit failed(tr("warm start: %1").arg(source ? tr("'%1' is not a recorded dataset").arg(request.warmStartDeviceId)
                                                        : source.error()));
            return;
        }
        const Landscape prior = Landscape::fromCache(recorded->cache(), request.warmStartDeviceId);
        QJsonArray entries;
        for (qint64 i = 0; i < prior.size(); ++i)
            entries.append(QJsonObject{{QStringLiteral("config"), prior.space.config(i)},
                                       {QStringLiteral("objective"),
                                        prior.isOk(i) ? QJsonValue(prior.objectiveMs[size_t(i)]) : QJsonValue()}});
        options.strategyOptions.insert(QStringLiteral("prior"), entries);
    }

    auto created = request.resumeId > 0
        ? Session::resume(*store.value(), device, request.resumeId, request.options.maxEvaluations)
        : Session::create(*store.value(), device, options);
    if (!created) {
        emit failed(created.error());
        return;
    }
    Session& session = *created.value();
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
    // The reference curve is random search over the whole recorded landscape: shown only when
    // the session searches all of it (not a narrowing from the space editor).
    if (replay && session.space().size() == device->workload().space.size()) {
        const Landscape landscape = Landscape::fromCache(replay->cache(), request.deviceId);
        const int t = int(std::min<qint64>(session.evaluationBudget(), landscape.size()));
        const std::vector<double> curve = StrategyBenchmark::expectedRandomBest(landscape, t);
        emit referenceReady(QVector<double>(curve.begin(), curve.end()));
    }

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
        auto marked = store.value()->setSessionState(r.id, QStringLiteral("paused"));
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

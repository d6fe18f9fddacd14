// Device slots in the studio: the lanes (SlotLanes) fed by a real 4-slot session over replay
// devices, the set-up's slot count reaching the run, the lanes view, and a pool of two GPU types
// started from the window ending with one stored session per type, followed in the comparison.
#include "MainWindow.h"
#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "models/SlotLanes.h"
#include "models/TrialTableModel.h"
#include "run/SessionRunner.h"
#include "session/ResultStore.h"
#include "session/Session.h"
#include "session/StoredSession.h"
#include "analysis/LandscapeGrid.h"
#include "views/LandscapeView.h"
#include "views/ComparisonView.h"
#include "views/SetupPanel.h"
#include "views/SlotLanesView.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;
using namespace dv::studio;

namespace {
const QString kMatmul = QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");
const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);

Trial trialOn(qint64 session, int slot, Status status, double ms = 1.0)
{
    Trial t;
    t.sessionId = session;
    t.slot = slot;
    t.config = QJsonObject{{QStringLiteral("BLOCK"), slot}};
    t.measurement.status = status;
    t.measurement.objectiveMs = status == Status::Ok ? ms : std::numeric_limits<double>::quiet_NaN();
    return t;
}
} // namespace

class TestStudioSlots : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_settingsDir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }

    // A real session on four replay slots, each pausing 15 ms: every lane measures, the lanes'
    // counts add up to the trials stored, and each failure is counted on the lane that measured it.
    void lanesFollowAFourSlotReplaySession()
    {
        auto opened = DeviceRegistry::openSlots(kMatmul, 4);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error()));
        std::vector<std::shared_ptr<Device>> slotDevices;
        for (auto& d : opened.value()) {
            static_cast<ReplayDevice*>(d.get())->setSimulatedLatencyMs(15);
            slotDevices.push_back(std::shared_ptr<Device>(std::move(d)));
        }
        auto store = ResultStore::open(QStringLiteral(":memory:"));
        QVERIFY(store);
        SessionOptions options;
        options.strategy = QStringLiteral("random");
        options.seed = 3;
        options.maxEvaluations = 80;
        options.remeasureTop = 0;
        auto session = Session::create(*store.value(), slotDevices.front(), options);
        QVERIFY(session);
        for (size_t i = 1; i < slotDevices.size(); ++i)
            QVERIFY(session.value()->addSlot(slotDevices[i]));
        Session& s = *session.value();

        SlotLanes lanes;
        QElapsedTimer clock;
        clock.start();
        lanes.reset(clock.elapsed());
        lanes.addSession(s.id(), slotDevices.front()->info().name, s.slotCount());
        QMap<int, int> failuresBySlot;
        int busyAtOnce = 0;
        QObject::connect(&s, &Session::slotStarted, [&](int slot, const QJsonObject& config) {
            lanes.slotStarted(s.id(), slot, config, clock.elapsed());
            int busy = 0;
            for (const SlotLanes::Lane& l : lanes.lanes())
                busy += l.busy ? 1 : 0;
            busyAtOnce = std::max(busyAtOnce, busy);
        });
        QObject::connect(&s, &Session::trialFinished, [&](const Trial& t) {
            lanes.trialFinished(t, clock.elapsed());
            if (!t.measurement.isOk())
                ++failuresBySlot[t.slot];
        });
        auto ended = s.run();
        QVERIFY2(ended, qPrintable(ended ? QString() : ended.error()));

        const QVector<Trial> stored = store.value()->trials(s.id()).value();
        QCOMPARE(stored.size(), 80);
        QCOMPARE(lanes.lanes().size(), 4);
        QCOMPARE(busyAtOnce, 4);
        int evaluations = 0, failures = 0, storedFailures = 0;
        for (const SlotLanes::Lane& l : lanes.lanes()) {
            QVERIFY2(l.evaluations > 0, qPrintable(QStringLiteral("slot %1 measured nothing").arg(l.slot)));
            QVERIFY(!l.busy); // nothing left in flight once the session ended
            QVERIFY(l.hasResult);
            QCOMPARE(l.failures, failuresBySlot.value(l.slot));
            evaluations += l.evaluations;
            failures += l.failures;
        }
        for (const Trial& t : stored)
            storedFailures += t.measurement.isOk() ? 0 : 1;
        QCOMPARE(evaluations, int(stored.size()));
        QCOMPARE(lanes.evaluations(), int(stored.size()));
        QCOMPARE(failures, storedFailures);
        // The recorded landscape has 54 configurations that failed to compile out of 384.
        QVERIFY2(storedFailures > 0, "the seed must reach a failing configuration");
        QCOMPARE(lanes.lastMinute(clock.elapsed()), 80);
    }

    // Throughput over the last minute and overall, store answers apart, a lost slot kept with its reason.
    void throughputAndLostSlots()
    {
        SlotLanes lanes;
        lanes.reset(0);
        lanes.addSession(7, QStringLiteral("GPU-A"), 2);
        lanes.slotStarted(7, 0, QJsonObject{{QStringLiteral("BLOCK"), 0}}, 0);
        QVERIFY(lanes.lanes()[0].busy);
        for (int i = 0; i < 30; ++i)
            lanes.trialFinished(trialOn(7, 0, Status::Ok), 1000 * i); // one a second, 0..29 s
        QCOMPARE(lanes.lastMinute(30000), 30);
        QCOMPARE(lanes.perMinuteRecent(30000), 60.0); // within the first minute: over the 30 s so far
        QCOMPARE(lanes.perMinuteOverall(30000), 60.0);
        QCOMPARE(lanes.lastMinute(59000), 30);
        QCOMPARE(lanes.lastMinute(60500), 29); // the one at 0 s is more than a minute old
        QCOMPARE(lanes.perMinuteRecent(60500), 29.0);
        lanes.trialFinished(trialOn(7, 1, Status::Crashed), 90000);
        Trial known = trialOn(7, -1, Status::Ok);
        known.fromStore = true;
        lanes.trialFinished(known, 90000);
        QCOMPARE(lanes.evaluations(), 32);
        QCOMPARE(lanes.fromStore(), 1);
        QCOMPARE(lanes.lastMinute(90000), 1); // only the crash is within the last minute
        QCOMPARE(lanes.perMinuteOverall(90000), 31 * 60.0 / 90.0);
        QVERIFY(!lanes.lanes()[0].busy);
        QCOMPARE(lanes.lanes()[0].evaluations, 30);
        QCOMPARE(lanes.lanes()[1].failures, 1);
        QCOMPARE(lanes.lanes()[1].lastStatus, Status::Crashed);
        lanes.slotStarted(7, 1, QJsonObject{{QStringLiteral("BLOCK"), 5}}, 91000);
        lanes.slotLost(7, 1, QStringLiteral("worker exited"));
        QVERIFY(lanes.lanes()[1].lost);
        QVERIFY(!lanes.lanes()[1].busy);
        QCOMPARE(lanes.lanes()[1].lostReason, QStringLiteral("worker exited"));
        QCOMPARE(SlotLanes::compact(QJsonObject{{QStringLiteral("A"), 64}, {QStringLiteral("B"), QStringLiteral("x")}}),
                 QStringLiteral("A=64 B=x"));
    }

    // The set-up's slot count reaches the run: four replay slots, each measuring, shown as four lanes.
    void setupSlotCountReachesTheRun()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        SetupPanel panel;
        panel.setDevice(kMatmul);
        panel.setStrategy(QStringLiteral("random"));
        panel.setBudget(24);
        panel.setLatencyMs(10);
        panel.findChild<QSpinBox*>(QStringLiteral("slotsSpin"))->setValue(4);
        RunRequest request = panel.request();
        QCOMPARE(request.slotCount, 4);
        request.databasePath = dir.filePath(QStringLiteral("r.db"));

        SessionRunner runner;
        SlotLanesView view;
        connect(&runner, &SessionRunner::slotsReady, &view, &SlotLanesView::addSession);
        connect(&runner, &SessionRunner::slotStarted, &view, &SlotLanesView::onSlotStarted);
        connect(&runner, &SessionRunner::trialFinished, &view, &SlotLanesView::onTrial);
        QSignalSpy ready(&runner, &SessionRunner::slotsReady);
        QSignalSpy finished(&runner, &SessionRunner::finished);
        QSignalSpy failed(&runner, &SessionRunner::failed);
        QSet<int> started;
        connect(&runner, &SessionRunner::slotStarted, this, [&](qint64, int slot, const QJsonObject&) { started.insert(slot); });
        view.begin();
        runner.clearRequests();
        runner.run(request); // blocks here: the signals arrive directly
        QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.at(0).at(0).toString()));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(2).toInt(), 4);
        QCOMPARE(started, (QSet<int>{0, 1, 2, 3}));
        view.end();
        QTableWidget* table = view.table();
        QCOMPARE(table->rowCount(), 4);
        int sum = 0;
        for (int row = 0; row < 4; ++row) {
            QVERIFY(table->item(row, 4)->text().toInt() > 0);
            sum += table->item(row, 4)->text().toInt();
        }
        QCOMPARE(sum, 24);
        QVERIFY2(view.throughputText().contains(QStringLiteral("(24 evaluated on the slots)")), qPrintable(view.throughputText()));
    }

    // Pause a 4-slot session and resume it: the resumed run has the set-up's four slots again,
    // and the session ends with its budget, no configuration measured twice.
    void resumeRunsOnTheSetupsSlots()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("r.db"));
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.setupPanel()->setDevice(kMatmul);
        window.setupPanel()->setStrategy(QStringLiteral("random"));
        window.setupPanel()->setBudget(60);
        window.setupPanel()->setLatencyMs(20);
        window.setupPanel()->setSlotCount(4);
        QSignalSpy paused(&window, &MainWindow::sessionPaused);
        QSignalSpy ended(&window, &MainWindow::sessionEnded);
        window.startSession();
        QTRY_VERIFY_WITH_TIMEOUT(window.slotLanesView()->lanes().evaluations() >= 8, 20000);
        window.pauseSession();
        QVERIFY(paused.wait(20000));
        QVERIFY(window.slotLanesView()->lanes().evaluations() < 60);
        window.resumeSession();
        QVERIFY(ended.wait(60000));
        QCOMPARE(window.slotLanesView()->lanes().lanes().size(), 4);
        for (const SlotLanes::Lane& l : window.slotLanesView()->lanes().lanes())
            QVERIFY2(l.evaluations > 0, qPrintable(QStringLiteral("slot %1 measured nothing after the resume").arg(l.slot)));
        auto store = ResultStore::openForReading(db);
        QVERIFY(store);
        const QVector<Trial> trials = store.value()->trials(1).value();
        QCOMPARE(trials.size(), 60);
        QSet<QString> keys;
        for (const Trial& t : trials)
            keys.insert(t.configKey);
        QCOMPARE(keys.size(), 60);
    }

    // A pool of two GPU types (the test worker on four "GPUs" named A, A, B, B), started from the
    // window: one session per type runs, each in its own thread, and the comparison follows both.
    void aPoolOfTwoGpuTypesRunsOneSessionPerType()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("pool.db"));
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.setupPanel()->setDevice(
            QStringLiteral("worker:gpus=0-3 %1 --delay-ms 300 --device-names GPU-A,GPU-A,GPU-B,GPU-B").arg(kWorker));
        window.setupPanel()->setStrategy(QStringLiteral("random"));
        window.setupPanel()->setBudget(15);
        window.setupPanel()->setSlotCount(0); // as the device names: one slot per GPU
        // The comparison is open before the run (else its first load may come after the pool ended).
        window.showComparison();
        ComparisonView* comparison = window.comparisonView();
        QVERIFY(comparison);
        // Live: an update while the pool runs shows both landscapes with some of their trials.
        bool liveUpdate = false;
        connect(comparison, &ComparisonView::updated, this, [&] {
            if (!window.isRunning() || comparison->landscapeViews().size() != 2)
                return;
            bool some = true;
            for (LandscapeView* v : comparison->landscapeViews())
                some = some && v->grid().count(LandscapeGrid::Cell::Ok) + v->grid().count(LandscapeGrid::Cell::Failed) > 0;
            liveUpdate = liveUpdate || some;
        });
        QSignalSpy ended(&window, &MainWindow::sessionEnded);
        window.startSession();
        // Both sessions are followed while they run (each takes over two seconds: 15 trials of 300 ms on 2 slots).
        QTRY_COMPARE_WITH_TIMEOUT(comparison->followedSessions().size(), 2, 60000);
        QVERIFY(ended.isEmpty());
        QVERIFY(ended.wait(120000));
        QVERIFY2(!window.findChild<QLabel*>(QStringLiteral("statusText"))->text().contains(QStringLiteral("failed")),
                 qPrintable(window.findChild<QLabel*>(QStringLiteral("statusText"))->text()));

        auto store = ResultStore::openForReading(db);
        QVERIFY(store);
        auto sessions = store.value()->sessions();
        QVERIFY(sessions);
        QCOMPARE(sessions->size(), 2);
        QSet<QString> names;
        QList<qint64> ids;
        for (const SessionRecord& r : sessions.value()) {
            names.insert(r.device.name);
            ids.append(r.id);
            QCOMPARE(store.value()->trials(r.id)->size(), 15);
        }
        QCOMPARE(names, (QSet<QString>{QStringLiteral("GPU-A"), QStringLiteral("GPU-B")}));
        std::sort(ids.begin(), ids.end());
        QList<qint64> pool = window.poolSessions();
        std::sort(pool.begin(), pool.end());
        QCOMPARE(pool, ids);

        // The window shows the first session's trials only; the lanes show all four slots.
        QCOMPARE(window.trialModel()->rowCount(), 15);
        const SlotLanes& lanes = window.slotLanesView()->lanes();
        QCOMPARE(lanes.lanes().size(), 4);
        QCOMPARE(lanes.evaluations(), 30);
        for (const SlotLanes::Lane& l : lanes.lanes())
            QVERIFY2(l.evaluations > 0, qPrintable(QStringLiteral("%1 slot %2 measured nothing").arg(l.gpu).arg(l.slot)));

        // Both landscapes side by side in the comparison, with every stored trial.
        QStringList checked = comparison->checkedIds();
        checked.sort();
        QCOMPARE(checked, (QStringList{QStringLiteral("session:%1").arg(ids[0]), QStringLiteral("session:%1").arg(ids[1])}));
        QCOMPARE(comparison->landscapeViews().size(), 2);
        QCOMPARE(comparison->followedSessions().size(), 2);
        QVERIFY(liveUpdate);
        // Each heat map holds every trial its session stored (the refresh at the end, past the
        // once-a-second throttle of the live one).
        const QStringList shown = comparison->checkedIds();
        for (int i = 0; i < shown.size(); ++i) {
            const qint64 id = shown[i].mid(QStringLiteral("session:").size()).toLongLong();
            auto stored = StoredSession::open(*store.value(), id);
            QVERIFY(stored);
            const LandscapeGrid& grid = comparison->landscapeViews()[i]->grid();
            auto expected = LandscapeGrid::fromTrials(stored->space, stored->trials, grid.xParameter(), grid.yParameter());
            QVERIFY(expected);
            QVERIFY(expected->count(LandscapeGrid::Cell::Ok) > 0);
            QCOMPARE(grid.count(LandscapeGrid::Cell::Ok), expected->count(LandscapeGrid::Cell::Ok));
            QCOMPARE(grid.count(LandscapeGrid::Cell::Failed), expected->count(LandscapeGrid::Cell::Failed));
        }
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestStudioSlots)
#include "tst_studioslots.moc"

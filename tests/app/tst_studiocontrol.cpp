// Session control: the SessionControl rules, and Start/Pause/Resume/Stop driven through the
// window's buttons, shortcuts and the session list on a slowed-down replay device.
#include "MainWindow.h"
#include "TestSupport.h"
#include "models/SessionListModel.h"
#include "models/TrialTableModel.h"
#include "run/SessionControl.h"
#include "run/SessionRunner.h"
#include "views/SetupPanel.h"
#include "views/TrialPlot.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;
using namespace dv::studio;
using State = SessionControl::State;

namespace {
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");

QString flags(const SessionControl& c)
{
    return QStringLiteral("%1%2%3%4").arg(c.canStart() ? 'S' : '-').arg(c.canPause() ? 'P' : '-')
        .arg(c.canResume() ? 'R' : '-').arg(c.canStop() ? 'T' : '-');
}
} // namespace

class TestStudioControl : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // Settings go to a temporary directory, never to the user's configuration.
        QVERIFY(m_settingsDir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }

    // Each step of a sequence of events and the actions it leaves available
    // (S start, P pause, R resume, T stop).
    void rules_data()
    {
        QTest::addColumn<QStringList>("events");
        QTest::addColumn<int>("state");
        QTest::addColumn<QString>("enabled");
        QTest::addColumn<qint64>("resumable");
        QTest::newRow("fresh") << QStringList{} << int(State::Idle) << QStringLiteral("S---") << qint64(0);
        QTest::newRow("running") << QStringList{QStringLiteral("start")} << int(State::Running) << QStringLiteral("-P-T") << qint64(0);
        QTest::newRow("pausing") << QStringList{QStringLiteral("start"), QStringLiteral("pause")} << int(State::Pausing)
                                 << QStringLiteral("---T") << qint64(0);
        QTest::newRow("paused") << QStringList{QStringLiteral("start"), QStringLiteral("pause"), QStringLiteral("paused")}
                                << int(State::Paused) << QStringLiteral("S-RT") << qint64(7);
        QTest::newRow("stop while paused") << QStringList{QStringLiteral("start"), QStringLiteral("pause"), QStringLiteral("paused"),
                                                          QStringLiteral("stopPaused")}
                                           << int(State::Idle) << QStringLiteral("S-R-") << qint64(7);
        QTest::newRow("stopping") << QStringList{QStringLiteral("start"), QStringLiteral("stop")} << int(State::Stopping)
                                  << QStringLiteral("----") << qint64(0);
        QTest::newRow("stopped, resumable") << QStringList{QStringLiteral("start"), QStringLiteral("stop"), QStringLiteral("endedStopped")}
                                            << int(State::Idle) << QStringLiteral("S-R-") << qint64(7);
        QTest::newRow("budget spent") << QStringList{QStringLiteral("start"), QStringLiteral("endedDone")} << int(State::Idle)
                                      << QStringLiteral("S---") << qint64(0);
        QTest::newRow("stored, resumable") << QStringList{QStringLiteral("storedOpen")} << int(State::Idle)
                                           << QStringLiteral("S-R-") << qint64(7);
        QTest::newRow("stored while running is ignored") << QStringList{QStringLiteral("start"), QStringLiteral("storedOpen")}
                                                         << int(State::Running) << QStringLiteral("-P-T") << qint64(0);
        QTest::newRow("resumed") << QStringList{QStringLiteral("storedOpen"), QStringLiteral("start")} << int(State::Running)
                                 << QStringLiteral("-P-T") << qint64(0);
        QTest::newRow("pause ignored when not running") << QStringList{QStringLiteral("pause")} << int(State::Idle)
                                                        << QStringLiteral("S---") << qint64(0);
    }
    void rules()
    {
        QFETCH(QStringList, events);
        QFETCH(int, state);
        QFETCH(QString, enabled);
        QFETCH(qint64, resumable);
        SessionControl c;
        QSignalSpy changed(&c, &SessionControl::changed);
        for (const QString& e : events) {
            if (e == QLatin1String("start")) c.started();
            else if (e == QLatin1String("pause")) c.pauseRequested();
            else if (e == QLatin1String("paused")) c.paused(7);
            else if (e == QLatin1String("stop")) c.stopRequested();
            else if (e == QLatin1String("stopPaused")) c.stoppedWhilePaused();
            else if (e == QLatin1String("endedStopped")) c.ended(7);
            else if (e == QLatin1String("endedDone")) c.ended(0);
            else if (e == QLatin1String("storedOpen")) c.storedSessionShown(7, true);
        }
        QCOMPARE(int(c.state()), state);
        QCOMPARE(flags(c), enabled);
        QCOMPARE(c.resumableId(), resumable);
        QCOMPARE(c.isActive(), state == int(State::Running) || state == int(State::Pausing) || state == int(State::Stopping));
        QVERIFY(!c.stateText().isEmpty());
        if (!events.isEmpty() && int(c.state()) != int(State::Idle))
            QVERIFY(changed.count() > 0);
    }

    // The whole cycle from the GUI: start with a key, pause with a button, resume, stop, reopen
    // the session from the session list and continue it there.
    void startPauseResumeStopReopen()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("results.sqlite"));
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));

        auto* device = window.findChild<QComboBox*>(QStringLiteral("deviceCombo"));
        auto* budget = window.findChild<QSpinBox*>(QStringLiteral("budgetSpin"));
        auto* latency = window.findChild<QSpinBox*>(QStringLiteral("latencySpin"));
        auto* start = window.findChild<QPushButton*>(QStringLiteral("startButton"));
        auto* pause = window.findChild<QPushButton*>(QStringLiteral("pauseButton"));
        auto* resume = window.findChild<QPushButton*>(QStringLiteral("resumeButton"));
        auto* stop = window.findChild<QPushButton*>(QStringLiteral("stopButton"));
        auto* stateLabel = window.findChild<QLabel*>(QStringLiteral("stateLabel"));
        auto* plot = window.findChild<TrialPlot*>();
        QVERIFY(device && budget && latency && start && pause && resume && stop && stateLabel && plot);
        device->setCurrentIndex(device->findText(kA100));
        budget->setValue(0); // until exhausted: only the buttons end it
        latency->setValue(3);
        QVERIFY(start->isEnabled() && !pause->isEnabled() && !resume->isEnabled() && !stop->isEnabled());
        QCOMPARE(stateLabel->text(), QStringLiteral("Idle"));

        // Start with the keyboard (Ctrl+R).
        QTest::keyClick(&window, Qt::Key_R, Qt::ControlModifier);
        QVERIFY(window.isRunning());
        QCOMPARE(stateLabel->text(), QStringLiteral("Running"));
        QVERIFY(!start->isEnabled() && pause->isEnabled() && stop->isEnabled());
        QVERIFY(!device->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(window.trialModel()->rowCount() >= 5, 20000);
        QTRY_VERIFY(plot->pointCount(Status::Ok) > 0);

        // Pause: the run ends after the trial in flight, the store says "paused".
        QSignalSpy paused(&window, &MainWindow::sessionPaused);
        QSignalSpy ended(&window, &MainWindow::sessionEnded);
        QTest::mouseClick(pause, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(paused.count(), 1, 20000);
        const qint64 id = paused.at(0).at(0).toLongLong();
        QCOMPARE(ended.count(), 0);
        QCOMPARE(stateLabel->text(), QStringLiteral("Paused"));
        QVERIFY(resume->isEnabled() && stop->isEnabled() && !pause->isEnabled());
        const int atPause = window.trialModel()->rowCount();
        QTest::qWait(50); // nothing more arrives while paused
        QCOMPARE(window.trialModel()->rowCount(), atPause);
        int plotted = 0;
        for (int st = int(Status::Ok); st <= int(Status::Crashed); ++st)
            plotted += plot->pointCount(Status(st));
        QCOMPARE(plotted, atPause);
        auto store = test::openStore(db);
        QCOMPARE(store->session(id)->state, QStringLiteral("paused"));
        QCOMPARE(store->trials(id)->size(), atPause);

        // Resume: the same session continues; evaluation numbers carry on without a gap.
        QTest::mouseClick(resume, Qt::LeftButton);
        QVERIFY(window.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(window.trialModel()->rowCount() >= atPause + 5, 20000);
        QTest::keyClick(&window, Qt::Key_Period, Qt::ControlModifier); // Stop
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 20000);
        QCOMPARE(ended.at(0).at(0).toString(), QStringLiteral("stopped"));
        const int atStop = window.trialModel()->rowCount();
        for (int row = 0; row < atStop; ++row)
            QCOMPARE(window.trialModel()->trial(row).sequence, row + 1);
        for (int row = 0; row < atStop; ++row)
            QCOMPARE(window.trialModel()->trial(row).sessionId, id);
        QCOMPARE(store->trials(id)->size(), atStop);
        QCOMPARE(store->session(id)->state, QStringLiteral("stopped"));
        QVERIFY(resume->isEnabled()); // a stopped session can be continued
        QCOMPARE(stateLabel->text(), QStringLiteral("Idle"));

        // A new session view, then reopen the stopped session from the list (double-click).
        window.newSession();
        QCOMPARE(window.trialModel()->rowCount(), 0);
        QVERIFY(!resume->isEnabled());
        auto* sessions = window.findChild<QTableView*>(QStringLiteral("sessionView"));
        QTRY_COMPARE(window.sessionModel()->rowCount(), 1);
        const QModelIndex first = window.sessionModel()->index(0, SessionListModel::KernelColumn);
        const QRect cell = sessions->visualRect(first);
        QVERIFY2(sessions->viewport()->rect().contains(cell.center()),
                 qPrintable(QStringLiteral("cell %1,%2 %3x%4 viewport %5x%6").arg(cell.x()).arg(cell.y()).arg(cell.width())
                                .arg(cell.height()).arg(sessions->viewport()->width()).arg(sessions->viewport()->height())));
        QSignalSpy activated(sessions, &QAbstractItemView::activated);
        // QTest's double-click is a press followed by the double-click event; the view needs the press.
        QTest::mouseClick(sessions->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(sessions->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(activated.count(), 1);
        QTRY_COMPARE(window.trialModel()->rowCount(), atStop);
        QVERIFY(resume->isEnabled());

        // Continue the reopened session; the new trials append to the stored ones.
        QTest::mouseClick(resume, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(window.trialModel()->rowCount() >= atStop + 3, 20000);
        QTest::mouseClick(stop, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 2, 20000);
        const int total = window.trialModel()->rowCount();
        QCOMPARE(store->trials(id)->size(), total);
        QCOMPARE(window.trialModel()->trial(total - 1).sequence, total);
        QTRY_COMPARE(window.sessionModel()->rowCount(), 1); // still one session
    }

    // Stop while paused ends it without running anything; the status bar shows the best.
    void stopWhilePaused()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("results.sqlite"));
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QComboBox*>(QStringLiteral("deviceCombo"))->setCurrentText(kA100);
        window.findChild<QSpinBox*>(QStringLiteral("budgetSpin"))->setValue(0);
        window.findChild<QSpinBox*>(QStringLiteral("latencySpin"))->setValue(3);
        QSignalSpy paused(&window, &MainWindow::sessionPaused);
        window.startSession();
        QTRY_VERIFY_WITH_TIMEOUT(window.trialModel()->rowCount() >= 3, 20000);
        window.pauseSession();
        QTRY_COMPARE_WITH_TIMEOUT(paused.count(), 1, 20000);
        window.stopSession();
        QCOMPARE(window.control()->state(), State::Idle);
        QCOMPARE(test::openStore(db)->session(paused.at(0).at(0).toLongLong())->state, QStringLiteral("stopped"));
        auto* status = window.findChild<QLabel*>(QStringLiteral("stateLabel"));
        QCOMPARE(status->text(), QStringLiteral("Idle"));
    }

    // The running session is in "Past sessions" from its start, marked as running now, and its
    // evaluations follow while it runs; when it ends the mark goes and the stored state shows.
    // It was missing from the list until it ended.
    void runningSessionIsListed()
    {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("results.sqlite")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        SessionListModel* list = window.sessionModel();
        QAbstractItemModelTester tester(list, QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.setupPanel()->setDevice(kA100);
        window.setupPanel()->setBudget(0);
        window.setupPanel()->setLatencyMs(5);
        QCOMPARE(list->rowCount(), 0);
        window.startSession();
        QTRY_COMPARE_WITH_TIMEOUT(list->rowCount(), 1, 20000);
        const QModelIndex state = list->index(0, SessionListModel::StateColumn);
        QVERIFY(state.data(SessionListModel::LiveRole).toBool());
        QCOMPARE(state.data().toString(), QStringLiteral("running now"));
        QVERIFY(state.data(Qt::FontRole).value<QFont>().bold());
        // A row selected in the list stays selected while the running session updates it.
        auto* sessions = window.findChild<QTableView*>(QStringLiteral("sessionView"));
        sessions->selectRow(0);
        const QModelIndex evaluations = list->index(0, SessionListModel::EvaluationsColumn);
        QTRY_VERIFY_WITH_TIMEOUT(evaluations.data().toInt() >= 10, 20000);
        QVERIFY(sessions->selectionModel()->isRowSelected(0, {}));

        QSignalSpy ended(&window, &MainWindow::sessionEnded);
        window.stopSession();
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 20000);
        QCOMPARE(list->rowCount(), 1);
        QVERIFY(!list->index(0, 0).data(SessionListModel::LiveRole).toBool());
        QCOMPARE(list->index(0, SessionListModel::StateColumn).data().toString(), QStringLiteral("stopped"));
        QCOMPARE(list->index(0, SessionListModel::EvaluationsColumn).data().toInt(), window.trialModel()->rowCount());
    }

    // A pause pressed before the queued run has begun still pauses it.
    void pauseRightAfterStart()
    {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("results.sqlite")));
        window.setupPanel()->setDevice(kA100);
        window.setupPanel()->setBudget(0);
        window.setupPanel()->setLatencyMs(3);
        QSignalSpy paused(&window, &MainWindow::sessionPaused);
        QSignalSpy ended(&window, &MainWindow::sessionEnded);
        window.startSession();
        window.pauseSession();
        QTRY_COMPARE_WITH_TIMEOUT(paused.count(), 1, 20000);
        QCOMPARE(ended.count(), 0);
        QVERIFY(window.trialModel()->rowCount() <= 1);
        window.stopSession();
        QCOMPARE(window.control()->state(), State::Idle);
    }

    // The menus a desktop user looks for, with their shortcuts.
    void menusAndShortcuts()
    {
        QTemporaryDir dir;
        MainWindow window(dir.filePath(QStringLiteral("results.sqlite")));
        QStringList titles;
        QMap<QString, QStringList> entries;
        for (QAction* menuAction : window.menuBar()->actions()) {
            const QString title = menuAction->text().remove(QLatin1Char('&'));
            titles.append(title);
            for (QAction* a : menuAction->menu()->actions()) {
                if (!a->isSeparator())
                    entries[title].append(a->text().remove(QLatin1Char('&')));
            }
        }
        QCOMPARE(titles, (QStringList{QStringLiteral("File"), QStringLiteral("Session"), QStringLiteral("View"), QStringLiteral("Help")}));
        for (const QString& e : {QStringLiteral("Open dataset…"), QStringLiteral("Open space…"), QStringLiteral("Open recent"),
                                 QStringLiteral("New session"), QStringLiteral("Export…"), QStringLiteral("Quit")})
            QVERIFY2(entries[QStringLiteral("File")].contains(e), qPrintable(e));
        for (const QString& e : {QStringLiteral("Start"), QStringLiteral("Pause"), QStringLiteral("Resume"), QStringLiteral("Stop")})
            QVERIFY2(entries[QStringLiteral("Session")].contains(e), qPrintable(e));
        QVERIFY(entries[QStringLiteral("Help")].contains(QStringLiteral("About Deja Vu Studio")));
        QVERIFY(entries[QStringLiteral("Help")].contains(QStringLiteral("Licences of the datasets")));
        const QMap<QString, QKeySequence> shortcuts{
            {QStringLiteral("startAction"), QKeySequence(Qt::CTRL | Qt::Key_R)},
            {QStringLiteral("pauseAction"), QKeySequence(Qt::CTRL | Qt::Key_P)},
            {QStringLiteral("resumeAction"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R)},
            {QStringLiteral("stopAction"), QKeySequence(Qt::CTRL | Qt::Key_Period)},
            {QStringLiteral("exportAction"), QKeySequence(Qt::CTRL | Qt::Key_E)},
            {QStringLiteral("openDatasetAction"), QKeySequence(QKeySequence::Open)}};
        for (auto it = shortcuts.cbegin(); it != shortcuts.cend(); ++it) {
            auto* a = window.findChild<QAction*>(it.key());
            QVERIFY2(a, qPrintable(it.key()));
            QCOMPARE(a->shortcut(), it.value());
        }
        // Only Start applies before anything ran.
        QVERIFY(window.findChild<QAction*>(QStringLiteral("startAction"))->isEnabled());
        QVERIFY(!window.findChild<QAction*>(QStringLiteral("pauseAction"))->isEnabled());
        QVERIFY(!window.findChild<QAction*>(QStringLiteral("resumeAction"))->isEnabled());
        QVERIFY(!window.findChild<QAction*>(QStringLiteral("stopAction"))->isEnabled());
    }

    // bayes warm start: the runner turns the chosen dataset into the strategy's prior; a device
    // that is not a recorded dataset fails with a message naming the warm start.
    void warmStartBuildsThePrior()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("results.sqlite"));
        const QString mi250x = QStringLiteral("replay:kerneltuner/convolution_MI250X");
        SessionRunner runner;
        QSignalSpy finished(&runner, &SessionRunner::finished);
        QSignalSpy failed(&runner, &SessionRunner::failed);
        RunRequest r;
        r.databasePath = db;
        r.deviceId = kA100;
        r.options.strategy = QStringLiteral("bayes");
        r.options.strategyOptions = QJsonObject{{QStringLiteral("threads"), 1}};
        r.options.maxEvaluations = 3;
        r.warmStartDeviceId = mi250x;
        runner.run(r); // blocking, in this thread
        QCOMPARE(failed.count(), 0);
        QCOMPARE(finished.count(), 1);
        auto store = test::openStore(db);
        const SessionRecord record = store->sessions()->first();
        QCOMPARE(record.strategyOptions.value(QStringLiteral("prior")).toArray().size(), test::datasetSpace(mi250x).size());
        QCOMPARE(record.strategyOptions.value(QStringLiteral("threads")).toInt(), 1);
        QCOMPARE(record.trialCount, 3);

        r.warmStartDeviceId = QStringLiteral("replay:kerneltuner/no_such_dataset");
        runner.run(r);
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.at(0).at(0).toString().startsWith(QStringLiteral("warm start: ")), qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(store->sessions()->size(), 1); // nothing created
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestStudioControl)
#include "tst_studiocontrol.moc"

#include "MainWindow.h"

#include "StudioSettings.h"
#include "device/DeviceRegistry.h"
#include "models/SessionListModel.h"
#include "models/TrialTableModel.h"
#include "run/SessionControl.h"
#include "run/SessionRunner.h"
#include "session/SessionState.h"
#include "session/StoredSession.h"
#include "views/ComparisonView.h"
#include "views/ExportDialog.h"
#include "views/LandscapeView.h"
#include "views/ParameterEffectsView.h"
#include "views/RefreshDialog.h"
#include "views/SetupPanel.h"
#include "views/SlotLanesView.h"
#include "views/SpaceEditor.h"
#include "views/TrialBrowser.h"
#include "views/TrialPlot.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace dv::studio {

MainWindow::MainWindow(const QString& databasePath, QWidget* parent)
    : QMainWindow(parent)
    , m_databasePath(databasePath)
    , m_runner(new SessionRunner)
    , m_control(new SessionControl(this))
    , m_stateLabel(new QLabel(this))
    , m_setup(new SetupPanel(this))
    , m_sessionModel(new SessionListModel(this))
    , m_sessionView(new QTableView(this))
    , m_plot(new TrialPlot(this))
    , m_landscape(new LandscapeView(this))
    , m_trialModel(new TrialTableModel(this))
    , m_browser(new TrialBrowser(m_trialModel, this))
    , m_trialView(m_browser->view())
    , m_effects(new ParameterEffectsView(this))
    , m_title(new QLabel(tr("No session yet: pick a device and press Start."), this))
    , m_statusText(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_lanes(new SlotLanesView(this))
{
    setWindowTitle(tr("Deja Vu Studio"));
    qRegisterMetaType<dv::Trial>();
    qRegisterMetaType<dv::ConfigSpace>();

    // A store that is not there yet is created; one this process may not write (a read-only
    // mount, a colleague's file) opens read-only: its sessions are shown and exported, none run.
    auto store = QFileInfo::exists(databasePath) ? ResultStore::openForReading(databasePath) : ResultStore::open(databasePath);
    if (store)
        m_store = std::move(store.value());
    else
        m_statusText->setText(store.error());
    if (readOnlyStore())
        m_statusText->setText(tr("%1 is read-only: its sessions can be opened and exported, not continued; "
                                 "a new session needs a store you may write.").arg(databasePath));

    connectRunner();

    m_redraw.setSingleShot(true);
    m_redraw.setInterval(1000 / kRedrawHz);
    connect(&m_redraw, &QTimer::timeout, this, &MainWindow::flushPending);

    connect(m_control, &SessionControl::changed, this, &MainWindow::updateControls);
    connect(m_landscape, &LandscapeView::axesChanged, this, &MainWindow::rebuildGrid);

    // A click on a landscape cell selects that configuration's best trial in the table.
    connect(m_landscape, &LandscapeView::configurationClicked, m_browser, &TrialBrowser::selectConfiguration);
    connect(m_browser, &TrialBrowser::trialSelected, m_landscape, [this](const Trial& t) { m_landscape->showConfiguration(t.config); });

    buildLayout();
    buildMenus();
    refreshSessions();
    resize(1400, 900);
    const StudioSettings settings;
    settings.restoreWindow(*this, splitters());
    settings.restoreSetup(*m_setup);
    updateControls();
}

void MainWindow::connectRunner()
{
    // The session runs on its own thread; everything it reports arrives here queued.
    m_runner->moveToThread(&m_workerThread);
    connect(&m_workerThread, &QThread::finished, m_runner, &QObject::deleteLater);
    connect(m_runner, &SessionRunner::started, this,
            [this](qint64 id, const QString& title, const dv::ConfigSpace& space) {
                // A resumed session keeps its trials on screen; new ones append.
                if (m_resuming && id == m_sessionId)
                    m_title->setText(title);
                else
                    showSession(title, space);
                m_sessionId = id;
                // The running session is listed (marked) from its start, not only once it ends.
                m_sessionModel->setLiveSession(id);
                refreshSessions();
                m_listRefreshed.start();
            });
    connect(m_runner, &SessionRunner::poolSessionStarted, this, &MainWindow::onPoolSession);
    connect(m_runner, &SessionRunner::slotsReady, m_lanes, &SlotLanesView::addSession);
    connect(m_runner, &SessionRunner::slotStarted, m_lanes, &SlotLanesView::onSlotStarted);
    connect(m_runner, &SessionRunner::slotLost, m_lanes, &SlotLanesView::onSlotLost);
    connect(m_runner, &SessionRunner::trialFinished, m_lanes, &SlotLanesView::onTrial);
    connect(m_runner, &SessionRunner::paused, this, &MainWindow::onPaused);
    connect(m_runner, &SessionRunner::referenceReady, m_plot, &TrialPlot::setReference);
    connect(m_runner, &SessionRunner::trialFinished, this, &MainWindow::onTrial);
    connect(m_runner, &SessionRunner::progress, this, [this](int done, int budget) {
        m_progress->setMaximum(budget);
        m_progress->setValue(done);
    });
    connect(m_runner, &SessionRunner::finished, this, [this](const QString& reason) { onEnded(reason, false); });
    connect(m_runner, &SessionRunner::failed, this, [this](const QString& message) { onEnded(message, true); });
    m_workerThread.setObjectName(QStringLiteral("dejavu-session"));
    m_workerThread.start();
}

void MainWindow::buildLayout()
{
    m_sessionView->setModel(m_sessionModel);
    m_sessionView->setObjectName(QStringLiteral("sessionView"));
    m_sessionView->verticalHeader()->hide();
    m_sessionView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_sessionView->horizontalHeader()->setStretchLastSection(true);
    connect(m_sessionView, &QTableView::activated, this, [this](const QModelIndex& index) {
        openStoredSession(index.data(SessionListModel::SessionIdRole).toLongLong());
    });

    // Set-up above past sessions; the user drags the border to give the space editor room.
    auto* left = new QSplitter(Qt::Vertical, this);
    left->setObjectName(QStringLiteral("leftSplitter"));
    left->setChildrenCollapsible(false);
    auto* past = new QWidget(left);
    auto* pastLayout = new QVBoxLayout(past);
    pastLayout->setContentsMargins(0, 0, 0, 0);
    pastLayout->addWidget(new QLabel(tr("Past sessions (double-click to open):"), past));
    pastLayout->addWidget(m_sessionView, 1);
    left->addWidget(m_setup);
    left->addWidget(past);
    // The set-up keeps its natural height; past sessions take what is left.
    left->setStretchFactor(0, 0);
    left->setStretchFactor(1, 1);

    auto* plots = new QSplitter(Qt::Horizontal, this);
    plots->addWidget(m_plot);
    plots->addWidget(m_landscape);
    plots->setSizes({520, 520});
    plots->setObjectName(QStringLiteral("plotSplitter"));
    auto* right = new QSplitter(Qt::Vertical, this);
    right->setObjectName(QStringLiteral("viewSplitter"));
    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    m_title->setObjectName(QStringLiteral("sessionTitle"));
    topLayout->addWidget(m_title);
    m_views = new QTabWidget(this);
    m_views->setObjectName(QStringLiteral("viewTabs"));
    m_views->addTab(plots, tr("Trials and landscape"));
    m_views->addTab(m_effects, tr("Parameter effects"));
    m_lanes->setObjectName(QStringLiteral("slotLanes"));
    m_views->addTab(m_lanes, tr("Slots"));
    topLayout->addWidget(m_views, 1);
    right->addWidget(top);
    right->addWidget(m_browser);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    auto* main = new QSplitter(Qt::Horizontal, this);
    main->setObjectName(QStringLiteral("mainSplitter"));
    main->addWidget(left);
    main->addWidget(right);
    main->setStretchFactor(1, 1);
    main->setSizes({400, 1000});
    setCentralWidget(main);
    m_stateLabel->setObjectName(QStringLiteral("stateLabel"));
    m_statusText->setObjectName(QStringLiteral("statusText"));
    statusBar()->addPermanentWidget(m_stateLabel);
    statusBar()->addWidget(m_statusText, 1);
    statusBar()->addPermanentWidget(m_progress);
}

MainWindow::~MainWindow()
{
    // The runner's session must end before the thread can; a run in progress sees the stop
    // after its current trial.
    m_runner->requestStop();
    m_workerThread.quit();
    m_workerThread.wait();
}

bool MainWindow::isRunning() const { return m_control->isActive(); }

bool MainWindow::readOnlyStore() const { return m_store && m_store->isReadOnly(); }

ExportDialog* MainWindow::exportDialog() const { return m_exportDialog.data(); }
RefreshDialog* MainWindow::refreshDialog() const { return m_refreshDialog.data(); }

QList<QSplitter*> MainWindow::splitters() const
{
    QList<QSplitter*> named;
    for (QSplitter* s : findChildren<QSplitter*>()) {
        if (!s->objectName().isEmpty())
            named.append(s);
    }
    return named;
}

void MainWindow::updateControls()
{
    m_startAction->setEnabled(m_control->canStart() && !readOnlyStore());
    m_pauseAction->setEnabled(m_control->canPause());
    m_resumeAction->setEnabled(m_control->canResume() && !readOnlyStore());
    m_stopAction->setEnabled(m_control->canStop());
    m_setup->setRunning(m_control->isActive());
    m_stateLabel->setText(m_control->stateText());
}

void MainWindow::launch(const RunRequest& request)
{
    m_control->started();
    m_progress->setValue(0);
    m_poolSessions.clear();
    m_lanes->begin();
    SessionRunner* runner = m_runner;
    // Cleared here, not in run(): a Pause or Stop pressed before the queued run starts still counts.
    runner->clearRequests();
    // Queued into the worker thread; run() blocks there until the session ends or pauses.
    QMetaObject::invokeMethod(runner, [runner, request] { runner->run(request); }, Qt::QueuedConnection);
}

void MainWindow::startSession()
{
    if (!m_control->canStart() || readOnlyStore())
        return;
    RunRequest request = m_setup->request();
    request.databasePath = m_databasePath;
    m_resuming = false;
    m_sessionDeviceId = request.deviceId;
    m_sessionDeviceConfirmed = true; // the user chose it
    m_statusText->setText(tr("Starting %1…").arg(request.deviceId));
    launch(request);
}

void MainWindow::pauseSession()
{
    if (!m_control->canPause())
        return;
    m_control->pauseRequested();
    m_statusText->setText(tr("Pausing after the evaluation in progress…"));
    m_runner->requestPause();
}

void MainWindow::resumeSession()
{
    if (!m_control->canResume() || readOnlyStore())
        return;
    // A device id read from the store is data (docs/worker-protocol.md): one that starts a
    // process runs only once the user has seen its exact command line and said so.
    if (!m_sessionDeviceConfirmed && DeviceRegistry::startsProcess(m_sessionDeviceId)) {
        QMessageBox box(QMessageBox::Warning, tr("Run a stored command?"),
                        tr("Session %1 ran on a worker that this command line starts. It was read from the result "
                           "store %2, which anyone may have written. Run it?")
                            .arg(m_control->resumableId()).arg(m_databasePath),
                        QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("confirmStoredDevice"));
        box.setInformativeText(m_sessionDeviceId);
        box.setTextInteractionFlags(Qt::TextSelectableByMouse);
        QPushButton* run = box.addButton(tr("Run it"), QMessageBox::AcceptRole);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        if (box.clickedButton() != run) {
            m_statusText->setText(tr("Session %1 not resumed: its command line was not confirmed.").arg(m_control->resumableId()));
            return;
        }
        m_sessionDeviceConfirmed = true;
    }
    RunRequest request;
    request.databasePath = m_databasePath;
    request.deviceId = m_sessionDeviceId;
    request.resumeId = m_control->resumableId();
    request.simulatedLatencyMs = m_setup->request().simulatedLatencyMs;
    // The slots are the set-up's now (like the latency): a run's slots are not part of its result.
    request.slotCount = m_setup->slotCount();
    // Budget 0: the stored budget and stop conditions carry on.
    m_resuming = request.resumeId == m_sessionId;
    m_statusText->setText(tr("Resuming session %1…").arg(request.resumeId));
    launch(request);
}

void MainWindow::stopSession()
{
    if (!m_control->canStop())
        return;
    if (m_control->state() == SessionControl::State::Paused) {
        // Nothing runs: the stored session just changes from paused to stopped.
        if (m_store) {
            if (auto marked = m_store->setSessionState(m_control->resumableId(), SessionState::Stopped); !marked) {
                m_statusText->setText(marked.error());
                return;
            }
        }
        m_control->stoppedWhilePaused();
        m_statusText->setText(tr("Session %1 stopped; Resume continues it.").arg(m_control->resumableId()));
        refreshSessions();
        return;
    }
    m_control->stopRequested();
    m_statusText->setText(tr("Stopping after the evaluation in progress…"));
    m_runner->requestStop();
}

void MainWindow::onPaused(qint64 sessionId)
{
    flushPending();
    refreshPool(true);
    m_lanes->end();
    m_sessionModel->setLiveSession(0);
    m_control->paused(sessionId);
    m_statusText->setText(tr("Session %1 paused: %n evaluation(s), best %2 ms", nullptr, int(m_trials.size()))
                              .arg(sessionId).arg(QString::number(m_best.best(), 'g', 5)));
    refreshSessions();
    emit sessionPaused(sessionId);
}

void MainWindow::newSession()
{
    if (isRunning())
        return;
    showSession(tr("No session yet: pick a device and press Start."), ConfigSpace());
    m_sessionId = 0;
    m_control->ended(0);
    m_progress->setValue(0);
    m_statusText->clear();
}

bool MainWindow::openSpaceFile(const QString& path)
{
    auto opened = m_setup->spaceEditor()->openFile(path);
    if (!opened) {
        QMessageBox::warning(this, tr("Cannot open the space"), opened.error());
        return false;
    }
    m_setup->showSpaceEditor();
    StudioSettings().addRecentFile({StudioSettings::RecentFile::Kind::Space, path});
    rebuildRecentMenu();
    return true;
}

bool MainWindow::openDataset(const QString& path)
{
    auto device = DeviceRegistry::open(path);
    if (!device) {
        QMessageBox::warning(this, tr("Cannot open the dataset"), device.error());
        return false;
    }
    m_setup->setDevice(path);
    m_setup->spaceEditor()->loadSpace(device.value()->workload().space, path);
    StudioSettings().addRecentFile({StudioSettings::RecentFile::Kind::Dataset, path});
    rebuildRecentMenu();
    m_statusText->setText(tr("%1: %2 on %3, %4 configurations")
                              .arg(QFileInfo(path).fileName(), device.value()->workload().kernel, device.value()->info().name)
                              .arg(device.value()->workload().space.size()));
    return true;
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const auto recent = StudioSettings().recentFiles();
    for (const StudioSettings::RecentFile& r : recent) {
        const bool dataset = r.kind == StudioSettings::RecentFile::Kind::Dataset;
        QAction* a = m_recentMenu->addAction(tr("%1 (%2)").arg(QFileInfo(r.path).fileName(), dataset ? tr("dataset") : tr("space")),
                                             this, [this, r, dataset] { dataset ? openDataset(r.path) : openSpaceFile(r.path); });
        a->setToolTip(r.path);
        a->setData(r.path);
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("&Clear"), this, [this] {
        StudioSettings().clearRecentFiles();
        rebuildRecentMenu();
    })->setEnabled(!recent.isEmpty());
    m_recentMenu->setEnabled(true);
}

void MainWindow::showExportDialog()
{
    if (!m_store)
        return;
    auto sessions = m_store->sessions();
    if (!sessions) {
        QMessageBox::warning(this, tr("Export"), sessions.error());
        return;
    }
    delete m_exportDialog;
    m_exportDialog = new ExportDialog(m_databasePath, sessions.value(), m_sessionId, this);
    m_exportDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_exportDialog->show();
}

void MainWindow::showRefreshDialog()
{
    if (!m_store)
        return;
    auto sessions = m_store->sessions();
    if (!sessions) {
        QMessageBox::warning(this, tr("Refresh on this GPU"), sessions.error());
        return;
    }
    QString gpu;
    for (const SessionRecord& r : sessions.value())
        if (r.id == m_sessionId)
            gpu = r.device.name;
    QList<qint64> ladder; // the opened session's GPU's sessions, oldest first
    for (const SessionRecord& r : sessions.value())
        if (!gpu.isEmpty() && r.device.name == gpu)
            ladder.prepend(r.id);
    delete m_refreshDialog;
    m_refreshDialog = new RefreshDialog(m_databasePath, ladder, m_setup->deviceId(), this);
    m_refreshDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_refreshDialog, &RefreshDialog::refreshed, this, &MainWindow::refreshSessions);
    m_refreshDialog->show();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    StudioSettings settings;
    settings.saveWindow(*this, splitters());
    settings.saveSetup(*m_setup);
    QMainWindow::closeEvent(event);
}

void MainWindow::showSession(const QString& title, const ConfigSpace& space)
{
    m_redraw.stop();
    m_title->setText(title);
    m_space = space;
    m_trials.clear();
    m_pending.clear();
    m_best = BestSoFar();
    m_plot->clear();
    QStringList names;
    for (const Parameter& p : space.parameters())
        names.append(p.name);
    m_trialModel->setTrials(names, {});
    m_landscape->setSpace(space); // emits axesChanged -> rebuildGrid
    m_effects->setSpace(space);
}

void MainWindow::onTrial(const Trial& trial)
{
    // A pool's sessions show in the comparison; another session of it not in this window's views.
    m_poolDirty = m_poolDirty || !m_poolSessions.isEmpty();
    if (!m_poolSessions.contains(trial.sessionId) || trial.sessionId == m_sessionId)
        m_pending.append(trial);
    if (!m_redraw.isActive())
        m_redraw.start();
}

void MainWindow::flushPending()
{
    refreshPool(false);
    if (m_pending.isEmpty())
        return;
    m_trialModel->appendTrials(m_pending);
    m_plot->appendTrials(m_pending);
    for (const Trial& t : std::as_const(m_pending)) {
        m_best.add(t);
        m_grid.addTrial(t);
    }
    m_trials += m_pending;
    m_pending.clear();
    m_plot->setBestSoFar(m_best);
    m_plot->redraw();
    m_landscape->setGrid(m_grid);
    m_effects->setTrials(m_trials); // recomputed at most once a second, only while visible
    if (isRunning() && m_listRefreshed.isValid() && m_listRefreshed.elapsed() >= 1000) {
        refreshSessions(); // its evaluations and best in the list
        m_listRefreshed.restart();
    }
    if (std::isfinite(m_best.best()))
        m_statusText->setText(tr("%n evaluation(s), best %1 ms", nullptr, int(m_trials.size()))
                                  .arg(QString::number(m_best.best(), 'g', 5)));
}

void MainWindow::rebuildGrid()
{
    auto grid = LandscapeGrid::fromTrials(m_space, m_trials, m_landscape->xParameter(), m_landscape->yParameter());
    if (!grid)
        return; // the pickers only emit valid pairs; an empty space has nothing to show
    m_grid = std::move(grid.value());
    m_landscape->setGrid(m_grid);
}

void MainWindow::onEnded(const QString& reason, bool failed)
{
    m_lanes->end();
    flushPending();
    refreshPool(true);
    m_sessionModel->setLiveSession(0);
    // A stopped session can be continued; one that spent its budget or space cannot.
    m_control->ended(!failed && reason == QLatin1String("stopped") ? m_sessionId : 0);
    if (failed) {
        m_statusText->setText(tr("Session failed: %1").arg(reason));
        QMessageBox::warning(this, tr("Session failed"), reason);
    } else {
        m_statusText->setText(tr("Session ended (%1): %n evaluation(s), best %2 ms", nullptr, int(m_trials.size()))
                                  .arg(reason, QString::number(m_best.best(), 'g', 5)));
    }
    refreshSessions();
    emit sessionEnded(reason);
}

void MainWindow::refreshPool(bool now)
{
    if (!m_poolDirty || !m_comparison)
        return;
    if (now || !m_poolRefreshed.isValid() || m_poolRefreshed.elapsed() >= 1000) {
        m_comparison->refreshFollowed();
        m_poolDirty = false;
        m_poolRefreshed.start();
    } else if (!m_redraw.isActive()) {
        m_redraw.start(); // comes back for it
    }
}

void MainWindow::onPoolSession(qint64 sessionId)
{
    if (m_poolSessions.isEmpty())
        m_poolSessions.append(m_sessionId); // the first, shown in this window
    m_poolSessions.append(sessionId);
    m_statusText->setText(tr("A pool of %n GPU type(s): one session each, side by side in the comparison", nullptr,
                             int(m_poolSessions.size())));
    showComparison();
    m_comparison->followSessions(m_poolSessions);
    m_poolRefreshed.start();
}

void MainWindow::refreshSessions()
{
    if (!m_store)
        return;
    auto sessions = m_store->sessions();
    if (sessions)
        m_sessionModel->setSessions(sessions.value());
    else
        m_statusText->setText(sessions.error());
}

void MainWindow::showComparison()
{
    if (!m_comparison) {
        // A window of its own, so it can sit next to a running session on another screen.
        m_comparison = new ComparisonView(this);
        m_comparison->setWindowFlag(Qt::Window);
    }
    m_comparison->setDatabasePath(m_databasePath); // lists this store's sessions (again: new ones)
    m_comparison->show();
    m_comparison->raise();
    m_comparison->activateWindow();
}

void MainWindow::openStoredSession(qint64 id)
{
    if (!m_store || isRunning())
        return;
    // Its space and trials, never starting a process (a stored worker id is data); a space that
    // does not parse leaves the view without one.
    auto stored = StoredSession::open(*m_store, id);
    if (!stored) {
        m_statusText->setText(stored.error());
        return;
    }
    const SessionRecord* record = &stored->record;
    showSession(tr("%1 on %2 (%3, session %4, stored)").arg(record->kernel, record->device.name, record->strategy).arg(id),
                stored->space);
    m_pending = stored->trials;
    flushPending();
    m_sessionId = id;
    m_sessionDeviceId = record->device.id;
    m_sessionDeviceConfirmed = false; // read from the store: data until the user confirms it
    // A session that ended early (stopped, paused, or cut off while running) can be continued.
    m_control->storedSessionShown(id, isResumableState(record->state));
    m_statusText->setText(tr("Session %1: %n evaluation(s), state %2", nullptr, int(m_trials.size()))
                              .arg(id).arg(record->state));
}

} // namespace dv::studio

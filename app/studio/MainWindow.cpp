#include "MainWindow.h"

#include "ComparisonView.h"
#include "DeviceRegistry.h"
#include "LandscapeView.h"
#include "SessionListModel.h"
#include "SessionRunner.h"
#include "SetupPanel.h"
#include "TrialPlot.h"
#include "TrialTableModel.h"

#include <QAction>
#include <QApplication>
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
#include <QTableView>
#include <QVBoxLayout>

namespace dv::studio {

MainWindow::MainWindow(const QString& databasePath, QWidget* parent)
    : QMainWindow(parent)
    , m_databasePath(databasePath)
    , m_runner(new SessionRunner)
    , m_setup(new SetupPanel(this))
    , m_sessionModel(new SessionListModel(this))
    , m_sessionView(new QTableView(this))
    , m_plot(new TrialPlot(this))
    , m_landscape(new LandscapeView(this))
    , m_trialModel(new TrialTableModel(this))
    , m_trialView(new QTableView(this))
    , m_title(new QLabel(tr("No session yet: pick a device and press Start."), this))
    , m_statusText(new QLabel(this))
    , m_progress(new QProgressBar(this))
{
    setWindowTitle(tr("Deja Vu Studio"));
    qRegisterMetaType<dv::Trial>();
    qRegisterMetaType<dv::ConfigSpace>();

    auto store = ResultStore::open(databasePath);
    if (store)
        m_store = std::move(store.value());
    else
        m_statusText->setText(store.error());

    m_runner->moveToThread(&m_workerThread);
    connect(&m_workerThread, &QThread::finished, m_runner, &QObject::deleteLater);
    connect(m_runner, &SessionRunner::started, this,
            [this](qint64, const QString& title, const dv::ConfigSpace& space) { showSession(title, space); });
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

    m_redraw.setSingleShot(true);
    m_redraw.setInterval(1000 / kRedrawHz);
    connect(&m_redraw, &QTimer::timeout, this, &MainWindow::flushPending);

    connect(m_setup, &SetupPanel::startRequested, this, &MainWindow::startSession);
    connect(m_setup, &SetupPanel::stopRequested, this, &MainWindow::stopSession);
    connect(m_landscape, &LandscapeView::axesChanged, this, &MainWindow::rebuildGrid);

    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_trialModel);
    proxy->setSortRole(TrialTableModel::SortRole);
    m_trialView->setModel(proxy);
    m_trialView->setObjectName(QStringLiteral("trialView"));
    m_trialView->setSortingEnabled(true);
    m_trialView->sortByColumn(TrialTableModel::SequenceColumn, Qt::AscendingOrder);
    m_trialView->verticalHeader()->hide();
    m_trialView->setSelectionBehavior(QAbstractItemView::SelectRows);

    m_sessionView->setModel(m_sessionModel);
    m_sessionView->setObjectName(QStringLiteral("sessionView"));
    m_sessionView->verticalHeader()->hide();
    m_sessionView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_sessionView->horizontalHeader()->setStretchLastSection(true);
    connect(m_sessionView, &QTableView::activated, this, [this](const QModelIndex& index) {
        openStoredSession(index.data(SessionListModel::SessionIdRole).toLongLong());
    });

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->addWidget(m_setup);
    leftLayout->addWidget(new QLabel(tr("Past sessions (double-click to open):"), left));
    leftLayout->addWidget(m_sessionView, 1);

    auto* plots = new QSplitter(Qt::Horizontal, this);
    plots->addWidget(m_plot);
    plots->addWidget(m_landscape);
    plots->setSizes({520, 520});
    auto* right = new QSplitter(Qt::Vertical, this);
    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    m_title->setObjectName(QStringLiteral("sessionTitle"));
    topLayout->addWidget(m_title);
    topLayout->addWidget(plots, 1);
    right->addWidget(top);
    right->addWidget(m_trialView);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    auto* main = new QSplitter(Qt::Horizontal, this);
    main->addWidget(left);
    main->addWidget(right);
    main->setStretchFactor(1, 1);
    main->setSizes({400, 1000});
    setCentralWidget(main);
    statusBar()->addWidget(m_statusText, 1);
    statusBar()->addPermanentWidget(m_progress);
    buildMenus();
    refreshSessions();
    resize(1400, 900);
}

MainWindow::~MainWindow()
{
    // The runner's session must end before the thread can; a run in progress sees the stop
    // after its current trial.
    m_runner->requestStop();
    m_workerThread.quit();
    m_workerThread.wait();
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);
    QMenu* session = menuBar()->addMenu(tr("&Session"));
    QAction* start = session->addAction(tr("&Start"), this, &MainWindow::startSession);
    start->setShortcut(Qt::CTRL | Qt::Key_R);
    QAction* stop = session->addAction(tr("S&top"), this, &MainWindow::stopSession);
    stop->setShortcut(Qt::CTRL | Qt::Key_Period);
    session->addAction(tr("&Refresh session list"), this, &MainWindow::refreshSessions);
    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* compare = view->addAction(tr("Compare &GPUs…"), this, &MainWindow::showComparison);
    compare->setObjectName(QStringLiteral("compareAction"));
    compare->setShortcut(Qt::CTRL | Qt::Key_G);
}

void MainWindow::startSession()
{
    if (m_running)
        return;
    RunRequest request = m_setup->request();
    request.databasePath = m_databasePath;
    m_running = true;
    m_setup->setRunning(true);
    m_progress->setValue(0);
    m_statusText->setText(tr("Starting %1…").arg(request.deviceId));
    SessionRunner* runner = m_runner;
    // Queued into the worker thread; run() blocks there until the session ends.
    QMetaObject::invokeMethod(runner, [runner, request] { runner->run(request); }, Qt::QueuedConnection);
}

void MainWindow::stopSession()
{
    if (m_running) {
        m_statusText->setText(tr("Stopping after the trial in progress…"));
        m_runner->requestStop();
    }
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
}

void MainWindow::onTrial(const Trial& trial)
{
    m_pending.append(trial);
    if (!m_redraw.isActive())
        m_redraw.start();
}

void MainWindow::flushPending()
{
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
    if (m_running && std::isfinite(m_best.best()))
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
    flushPending();
    m_running = false;
    m_setup->setRunning(false);
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
    m_comparison->show();
    m_comparison->raise();
    m_comparison->activateWindow();
}

void MainWindow::openStoredSession(qint64 id)
{
    if (!m_store || m_running)
        return;
    auto record = m_store->session(id);
    auto trials = m_store->trials(id);
    if (!record || !trials) {
        m_statusText->setText(record ? trials.error() : record.error());
        return;
    }
    // The recorded device gives the exact valid set (a dataset's space is an explicit list);
    // the stored space file is the fallback when the device is gone.
    // Only replay devices are reopened: opening a worker id would start a GPU process.
    ConfigSpace space;
    auto device = record->device.id.startsWith(QLatin1String("replay:"))
        ? DeviceRegistry::open(record->device.id)
        : Result<std::unique_ptr<Device>>(Error{QString()});
    if (device)
        space = device.value()->workload().space;
    else if (auto parsed = ConfigSpace::fromJson(QJsonDocument(record->space).toJson(), tr("session %1").arg(id)))
        space = parsed.value();
    showSession(tr("%1 on %2 (%3, session %4, stored)").arg(record->kernel, record->device.name, record->strategy).arg(id),
                space);
    m_pending = trials.value();
    flushPending();
    m_statusText->setText(tr("Session %1: %n evaluation(s), state %2", nullptr, int(m_trials.size()))
                              .arg(id).arg(record->state));
}

} // namespace dv::studio

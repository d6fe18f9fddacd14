#pragma once

#include "analysis/BestSoFar.h"
#include "analysis/LandscapeGrid.h"
#include "session/ResultStore.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>
#include <QThread>
#include <QTimer>

#include <memory>

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QSplitter;
class QTabWidget;
class QTableView;

namespace dv::studio {

class ComparisonView;
class ExportDialog;
class RefreshDialog;
struct RunRequest;
class LandscapeView;
class ParameterEffectsView;
class TrialBrowser;
class SessionControl;
class SessionListModel;
class SessionRunner;
class SetupPanel;
class SlotLanesView;
class TrialPlot;
class TrialTableModel;

/// The studio's window: setup panel and past sessions on the left, the live trial plot,
/// landscape heat map and trial table on the right. The engine runs in m_workerThread; trials
/// arrive by queued signal, are buffered, and the views are refreshed by a timer at most
/// kRedrawHz times a second, so a replay session running flat out cannot flood the event loop.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    static constexpr int kRedrawHz = 5;

    /// `databasePath`: the result store (created if missing) shared by all sessions.
    explicit MainWindow(const QString& databasePath, QWidget* parent = nullptr);
    ~MainWindow() override;

    SetupPanel* setupPanel() const { return m_setup; }
    TrialTableModel* trialModel() const { return m_trialModel; }
    SessionListModel* sessionModel() const { return m_sessionModel; }
    /// Whether an engine run is in progress (running, or asked to pause or stop).
    bool isRunning() const;
    /// Whether the store was opened read-only (this process may not write it): nothing can run.
    bool readOnlyStore() const;
    SessionControl* control() const { return m_control; }
    /// The export dialog while it is open (tests), else nullptr.
    ExportDialog* exportDialog() const;
    RefreshDialog* refreshDialog() const;
    /// The GPU comparison window; nullptr until first opened (it loads every dataset of a kernel).
    ComparisonView* comparisonView() const { return m_comparison; }
    TrialPlot* trialPlot() const { return m_plot; }
    LandscapeView* landscapeView() const { return m_landscape; }
    /// The trial table with its filter bar and the detail of the selected trial.
    TrialBrowser* trialBrowser() const { return m_browser; }
    ParameterEffectsView* effectsView() const { return m_effects; }
    /// A lane per device slot of the running session(s), and throughput.
    SlotLanesView* slotLanesView() const { return m_lanes; }
    /// The sessions of the run in progress or last run when it was a pool of GPU types (one
    /// session per type, the first shown in the window); empty for a single session.
    QList<qint64> poolSessions() const { return m_poolSessions; }
    /// The session's plot tabs (trials and landscape, parameter effects).
    QTabWidget* viewTabs() const { return m_views; }

public slots:
    void startSession();
    /// Ends the run after the trial in flight; the session stays resumable.
    void pauseSession();
    /// Continues the paused, stopped or reopened session (Session::resume).
    void resumeSession();
    void stopSession();
    /// Clears the session view for a new set-up (File > New session).
    void newSession();
    /// Loads a space file into the setup panel's space editor (and the recent files).
    bool openSpaceFile(const QString& path);
    /// Selects a Kernel Tuner cache file as the device and shows its space (and the recent files).
    bool openDataset(const QString& path);
    /// File > Export…: exports a stored session (the one shown by default).
    void showExportDialog();
    /// Session > Refresh on this GPU…: the opened session's ladder (its GPU's sessions) and the set-up's device.
    void showRefreshDialog();
    /// Shows a stored session's trials (no device needed).
    void openStoredSession(qint64 id);
    void refreshSessions();
    /// Opens (creating on first use) the "GPUs side by side" window.
    void showComparison();

signals:
    /// After the views show every trial of a session that ended (tests, screenshots).
    void sessionEnded(const QString& reason);
    /// After the views show every trial of a session that paused.
    void sessionPaused(qint64 sessionId);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus(); // MainWindowMenus.cpp
    void connectRunner();
    void buildLayout();
    void updateControls();
    void onPaused(qint64 sessionId);
    void rebuildRecentMenu();
    void launch(const RunRequest& request);
    QList<QSplitter*> splitters() const;
    void showSession(const QString& title, const ConfigSpace& space);
    void onTrial(const Trial& trial);
    void flushPending();
    void rebuildGrid();
    void onEnded(const QString& reason, bool failed);
    /// Another session of a pool started: it and the first are followed in the comparison.
    void onPoolSession(qint64 sessionId);
    /// Reloads the pool's sessions in the comparison: `now`, or when a second has passed.
    void refreshPool(bool now);

    QString m_databasePath;
    std::unique_ptr<ResultStore> m_store; ///< the GUI thread's own connection, for the session list
    QThread m_workerThread;
    SessionRunner* m_runner;
    SessionControl* m_control;
    qint64 m_sessionId = 0;       ///< the session shown (0: none)
    QString m_sessionDeviceId;    ///< its device id, for Resume
    /// Whether the user gave or confirmed m_sessionDeviceId: an id read from the store that
    /// starts a process runs only after a confirmation showing its command line.
    bool m_sessionDeviceConfirmed = false;
    bool m_resuming = false;      ///< the run in progress continues the session shown
    QAction* m_startAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_resumeAction = nullptr;
    QAction* m_stopAction = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_stateLabel;
    /// Cleared by Qt when the dialog is deleted, also from ~QWidget after ~MainWindow, where a
    /// slot of this window must not run any more.
    QPointer<ExportDialog> m_exportDialog;
    QPointer<RefreshDialog> m_refreshDialog;

    SetupPanel* m_setup;
    SessionListModel* m_sessionModel;
    QTableView* m_sessionView;
    TrialPlot* m_plot;
    LandscapeView* m_landscape;
    TrialTableModel* m_trialModel;
    TrialBrowser* m_browser;
    QTableView* m_trialView;
    ParameterEffectsView* m_effects;
    QTabWidget* m_views = nullptr;
    QLabel* m_title;
    QLabel* m_statusText;
    QProgressBar* m_progress;
    ComparisonView* m_comparison = nullptr;
    SlotLanesView* m_lanes;
    QList<qint64> m_poolSessions;
    bool m_poolDirty = false;       ///< a pool session stored a trial the comparison has not shown
    QElapsedTimer m_poolRefreshed;  ///< the comparison follows a pool once a second at most

    ConfigSpace m_space;
    QVector<Trial> m_trials;
    QVector<Trial> m_pending;
    BestSoFar m_best;
    LandscapeGrid m_grid;
    QTimer m_redraw;
    QElapsedTimer m_listRefreshed; ///< the session list follows a running session, once a second at most
};

} // namespace dv::studio

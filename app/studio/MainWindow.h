#pragma once

#include "BestSoFar.h"
#include "ConfigSpace.h"
#include "LandscapeGrid.h"
#include "ResultStore.h"
#include "Trial.h"

#include <QMainWindow>
#include <QThread>
#include <QTimer>

#include <memory>

class QLabel;
class QProgressBar;
class QTableView;

namespace dv::studio {

class ComparisonView;
class LandscapeView;
class SessionListModel;
class SessionRunner;
class SetupPanel;
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
    bool isRunning() const { return m_running; }
    /// The GPU comparison window; nullptr until first opened (it loads every dataset of a kernel).
    ComparisonView* comparisonView() const { return m_comparison; }

public slots:
    void startSession();
    void stopSession();
    /// Shows a stored session's trials (no device needed).
    void openStoredSession(qint64 id);
    void refreshSessions();
    /// Opens (creating on first use) the "GPUs side by side" window.
    void showComparison();

signals:
    /// After the views show every trial of a session that ended (tests, screenshots).
    void sessionEnded(const QString& reason);

private:
    void buildMenus();
    void showSession(const QString& title, const ConfigSpace& space);
    void onTrial(const Trial& trial);
    void flushPending();
    void rebuildGrid();
    void onEnded(const QString& reason, bool failed);

    QString m_databasePath;
    std::unique_ptr<ResultStore> m_store; ///< the GUI thread's own connection, for the session list
    QThread m_workerThread;
    SessionRunner* m_runner;
    bool m_running = false;

    SetupPanel* m_setup;
    SessionListModel* m_sessionModel;
    QTableView* m_sessionView;
    TrialPlot* m_plot;
    LandscapeView* m_landscape;
    TrialTableModel* m_trialModel;
    QTableView* m_trialView;
    QLabel* m_title;
    QLabel* m_statusText;
    QProgressBar* m_progress;
    ComparisonView* m_comparison = nullptr;

    ConfigSpace m_space;
    QVector<Trial> m_trials;
    QVector<Trial> m_pending;
    BestSoFar m_best;
    LandscapeGrid m_grid;
    QTimer m_redraw;
};

} // namespace dv::studio

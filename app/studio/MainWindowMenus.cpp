// MainWindow's menus and their actions (the rest of the window: MainWindow.cpp).
#include "MainWindow.h"

#include "StudioSettings.h"
#include "device/DeviceRegistry.h"
#include "views/SetupPanel.h"
#include "views/SpaceEditor.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStyle>
#include <QToolBar>

namespace dv::studio {

void MainWindow::buildMenus()
{
    QStyle* st = style();
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openDatasetAction = file->addAction(tr("Open &dataset…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a recorded dataset"), QString(),
                                                          tr("Kernel Tuner cache files (*.json *.json.gz);;All files (*)"));
        if (!path.isEmpty())
            openDataset(path);
    });
    openDatasetAction->setShortcut(QKeySequence::Open);
    openDatasetAction->setObjectName(QStringLiteral("openDatasetAction"));
    QAction* openSpaceAction = file->addAction(tr("Open &space…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a space file"), QString(),
                                                          tr("Space files (*.json);;All files (*)"));
        if (!path.isEmpty())
            openSpaceFile(path);
    });
    openSpaceAction->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_O);
    openSpaceAction->setObjectName(QStringLiteral("openSpaceAction"));
    m_recentMenu = file->addMenu(tr("Open &recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    QAction* saveSpace = file->addAction(tr("Save space &as…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the edited space"), m_setup->spaceEditor()->sourceName(),
                                                          tr("Space files (*.json)"));
        if (path.isEmpty())
            return;
        auto saved = m_setup->spaceEditor()->saveFile(path);
        if (!saved) {
            QMessageBox::warning(this, tr("Space not saved"), saved.error());
            return;
        }
        StudioSettings().addRecentFile({StudioSettings::RecentFile::Kind::Space, path});
        rebuildRecentMenu();
        m_statusText->setText(tr("Saved the space to %1").arg(path));
    });
    saveSpace->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    QAction* fresh = file->addAction(tr("&New session"), this, &MainWindow::newSession);
    fresh->setShortcut(QKeySequence::New);
    QAction* exportAction = file->addAction(tr("&Export…"), this, &MainWindow::showExportDialog);
    exportAction->setShortcut(Qt::CTRL | Qt::Key_E);
    exportAction->setObjectName(QStringLiteral("exportAction"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* session = menuBar()->addMenu(tr("&Session"));
    m_startAction = session->addAction(st->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), this, &MainWindow::startSession);
    m_startAction->setShortcut(Qt::CTRL | Qt::Key_R);
    m_pauseAction = session->addAction(st->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this, &MainWindow::pauseSession);
    m_pauseAction->setShortcut(Qt::CTRL | Qt::Key_P);
    m_resumeAction = session->addAction(st->standardIcon(QStyle::SP_MediaSeekForward), tr("Res&ume"), this,
                                        &MainWindow::resumeSession);
    m_resumeAction->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_R);
    m_stopAction = session->addAction(st->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this, &MainWindow::stopSession);
    m_stopAction->setShortcut(Qt::CTRL | Qt::Key_Period);
    const std::pair<QAction*, QString> tips[] = {
        {m_startAction, tr("Start a new session with the set-up on the left")},
        {m_pauseAction, tr("Pause after the evaluation in progress; every finished trial is stored")},
        {m_resumeAction, tr("Continue the paused, stopped or reopened session")},
        {m_stopAction, tr("End the session after the evaluation in progress")}};
    for (const auto& [action, tip] : tips) {
        action->setToolTip(QStringLiteral("%1 (%2)").arg(tip, action->shortcut().toString(QKeySequence::NativeText)));
        action->setObjectName(action->text().remove(QLatin1Char('&')).toLower() + QStringLiteral("Action"));
    }
    session->addSeparator();
    session->addAction(tr("&Refresh session list"), this, &MainWindow::refreshSessions);
    session->addAction(tr("Refresh on this &GPU…"), this, &MainWindow::showRefreshDialog)->setObjectName(QStringLiteral("refreshOnGpuAction"));
    m_setup->bindActions(m_startAction, m_pauseAction, m_resumeAction, m_stopAction);

    QToolBar* toolbar = addToolBar(tr("Session"));
    toolbar->setObjectName(QStringLiteral("sessionToolBar"));
    toolbar->addActions({m_startAction, m_pauseAction, m_resumeAction, m_stopAction});

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* compare = view->addAction(tr("Compare &GPUs…"), this, &MainWindow::showComparison);
    compare->setObjectName(QStringLiteral("compareAction"));
    compare->setShortcut(Qt::CTRL | Qt::Key_G);
    view->addAction(tr("Space &editor"), this, [this] { m_setup->showSpaceEditor(); });
    view->addSeparator();
    view->addAction(toolbar->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Deja Vu Studio"), this, [this] {
        QMessageBox::about(this, tr("About Deja Vu Studio"),
                           tr("<p><b>Deja Vu Studio</b> %1</p><p>GPU kernel autotuning: search a configuration space "
                              "on a GPU or a recorded landscape, watch the landscape fill in, compare GPUs and export "
                              "the tuned configurations.</p><p>The same engine runs from the command line as "
                              "<tt>dejavu-tune</tt>.</p>").arg(QApplication::applicationVersion()));
    });
    help->addAction(tr("&Licences of the datasets"), this, [this] {
        QMessageBox box(QMessageBox::Information, tr("Licences of the datasets"),
                        tr("The recorded landscapes shipped with the studio and where they come from."), QMessageBox::Close, this);
        box.setDetailedText(DeviceRegistry::datasetNotices());
        box.exec();
    });
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    rebuildRecentMenu();
}

} // namespace dv::studio

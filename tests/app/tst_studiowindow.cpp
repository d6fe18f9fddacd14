#include "MainWindow.h"
#include "TestSupport.h"
#include "models/SessionListModel.h"
#include "models/TrialTableModel.h"
#include "run/SessionControl.h"

#include <QApplication>
#include <QComboBox>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv::studio;

namespace {
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");
}

class TestStudioWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // The window restores and saves its settings: keep them out of the user's configuration.
        QVERIFY(m_settingsDir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>(m_dir.filePath(QStringLiteral("results.sqlite")));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }
    void cleanup() { m_window.reset(); }

    // Pick a replay device and a budget, click Start, and watch the trials arrive.
    void replaySessionFillsTheTable()
    {
        auto* device = m_window->findChild<QComboBox*>(QStringLiteral("deviceCombo"));
        auto* budget = m_window->findChild<QSpinBox*>(QStringLiteral("budgetSpin"));
        auto* start = m_window->findChild<QPushButton*>(QStringLiteral("startButton"));
        auto* stop = m_window->findChild<QPushButton*>(QStringLiteral("stopButton"));
        QVERIFY(device && budget && start && stop);
        const int at = device->findText(kA100);
        QVERIFY(at >= 0);
        device->setCurrentIndex(at);
        budget->selectAll();
        QTest::keyClicks(budget, QStringLiteral("60"));
        QCOMPARE(budget->value(), 60);

        QSignalSpy ended(m_window.get(), &MainWindow::sessionEnded);
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(!start->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(m_window->trialModel()->rowCount(), 60, 20000);
        QTRY_COMPARE(ended.count(), 1);
        QCOMPARE(ended.at(0).at(0).toString(), QStringLiteral("budget"));
        QVERIFY(start->isEnabled());
        QVERIFY(!stop->isEnabled());
        // Evaluation numbers arrive in order, one per row.
        for (int row = 0; row < 60; ++row)
            QCOMPARE(m_window->trialModel()->trial(row).sequence, row + 1);
        // The session list shows it, with the best time found.
        QTRY_COMPARE(m_window->sessionModel()->rowCount(), 1);
        QCOMPARE(m_window->sessionModel()->session(0).trialCount, 60);
    }

    // A slow replay stopped with the Stop button ends early as "stopped" and can be reopened.
    void stopEndsTheSessionAndItReopens()
    {
        m_window->findChild<QComboBox*>(QStringLiteral("deviceCombo"))->setCurrentText(kA100);
        m_window->findChild<QSpinBox*>(QStringLiteral("budgetSpin"))->setValue(0); // until exhausted
        m_window->findChild<QSpinBox*>(QStringLiteral("latencySpin"))->setValue(5);
        QSignalSpy ended(m_window.get(), &MainWindow::sessionEnded);
        QTest::mouseClick(m_window->findChild<QPushButton*>(QStringLiteral("startButton")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->trialModel()->rowCount() >= 5, 20000);
        QTest::mouseClick(m_window->findChild<QPushButton*>(QStringLiteral("stopButton")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 20000);
        QCOMPARE(ended.at(0).at(0).toString(), QStringLiteral("stopped"));
        const int rows = m_window->trialModel()->rowCount();
        QVERIFY(rows >= 5 && rows < 4362);
        QVERIFY(!m_window->isRunning());

        QTRY_VERIFY(m_window->sessionModel()->rowCount() >= 1);
        const qint64 id = m_window->sessionModel()->session(0).id;
        m_window->trialModel()->setTrials({}, {});
        m_window->openStoredSession(id);
        QCOMPARE(m_window->trialModel()->rowCount(), rows);
    }

    // Resuming a stored session whose device is a command line shows that exact line and runs it
    // only when the user says so (the store may come from anyone).
    void resumingAStoredWorkerAsksFirst()
    {
        const QString marker = m_dir.filePath(QStringLiteral("pwned"));
        const QString command = QStringLiteral("worker:sh -c 'touch %1'").arg(marker);
        qint64 id = 0;
        {
            // A stopped (resumable) session whose stored device is that command line.
            auto store = dv::test::openStore(m_dir.filePath(QStringLiteral("results.sqlite")));
            dv::SessionRecord r;
            r.state = QStringLiteral("stopped");
            r.device = dv::DeviceInfo{command, QStringLiteral("Synthetic Test Device"), QStringLiteral("test"), QStringLiteral("test"), {}};
            r.kernel = QStringLiteral("synthetic");
            r.problem = QStringLiteral("{\"n\":1024}");
            r.space = dv::test::datasetSpace(kA100).toJson();
            r.strategy = QStringLiteral("random");
            id = store->createSession(r).value();
        }
        m_window->refreshSessions();
        m_window->openStoredSession(id);
        QVERIFY(m_window->control()->canResume());

        for (const bool confirm : {false, true}) {
            QString shown;
            bool asked = false;
            // The dialog runs its own event loop: look for it from a timer until it is shown.
            QTimer poll;
            connect(&poll, &QTimer::timeout, this, [&] {
                auto* box = m_window->findChild<QMessageBox*>(QStringLiteral("confirmStoredDevice"));
                if (!box || !box->isVisible())
                    return;
                poll.stop();
                asked = true;
                shown = box->informativeText();
                for (QAbstractButton* b : box->buttons()) {
                    if ((b->text() == QStringLiteral("Run it")) == confirm) {
                        b->click();
                        return;
                    }
                }
            });
            poll.start(20);
            m_window->resumeSession();
            poll.stop();
            QVERIFY(asked);
            QCOMPARE(shown, command);
            if (!confirm) {
                QVERIFY(!m_window->isRunning());
                QTest::qWait(200);
                QVERIFY2(!QFileInfo::exists(marker), "the stored command ran without a confirmation");
            }
        }
        // Confirmed: the user's choice now, so it runs and, being no worker, fails; the window says
        // so in a message box of its own, closed here.
        QString failure;
        QTimer closer;
        connect(&closer, &QTimer::timeout, this, [&] {
            for (QMessageBox* box : m_window->findChildren<QMessageBox*>()) {
                if (box->isVisible() && box->objectName() != QStringLiteral("confirmStoredDevice")) {
                    failure = box->text();
                    box->accept();
                }
            }
        });
        closer.start(20);
        QTRY_VERIFY_WITH_TIMEOUT(!failure.isEmpty(), 10000);
        closer.stop();
        QVERIFY2(failure.contains(QStringLiteral("before its hello")), qPrintable(failure));
        QVERIFY(QFileInfo::exists(marker));
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->isRunning(), 10000);
    }

private:
    QTemporaryDir m_settingsDir;
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestStudioWindow)
#include "tst_studiowindow.moc"

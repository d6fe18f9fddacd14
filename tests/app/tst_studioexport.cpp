// Export from the studio: ExportJob over core's TrialExporter, and File > Export… writing a file
// off the GUI thread with a clear result or the core's error.
#include "Bundle.h"
#include "DeviceRegistry.h"
#include "ExportDialog.h"
#include "ExportJob.h"
#include "MainWindow.h"
#include "Session.h"
#include "TestSupport.h"
#include "TrialExporter.h"
#include "TrialTableModel.h"

#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;
using namespace dv::studio;

namespace {
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

class TestStudioExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
        // One recorded session of 40 trials to export.
        m_db = m_dir.filePath(QStringLiteral("results.sqlite"));
        auto store = test::openStore(m_db);
        auto session = Session::create(*store, test::openDevice(kA100), SessionOptions{QStringLiteral("random"), {}, 3, 40, 0, 0});
        QVERIFY2(session, qPrintable(session.error()));
        QVERIFY(session.value()->run());
        m_id = session.value()->id();
        // The same kernel and problem on another GPU, for a bundle of two.
        auto other = Session::create(*store, test::openDevice(QStringLiteral("replay:kerneltuner/convolution_MI250X")),
                                     SessionOptions{QStringLiteral("random"), {}, 3, 20, 0, 0});
        QVERIFY2(other, qPrintable(other.error()));
        QVERIFY(other.value()->run());
        m_otherId = other.value()->id();
        m_expectedCsv = TrialExporter::toCsv(store->session(m_id).value(), store->trials(m_id).value());
    }

    void jobWritesWhatCoreWrites()
    {
        ExportJob job{m_db, {m_id}, QStringLiteral("csv"), m_dir.filePath(QStringLiteral("job.csv"))};
        auto done = job.run();
        QVERIFY2(done, qPrintable(done.error()));
        QVERIFY(done.value().contains(job.path));
        QVERIFY(done.value().contains(QStringLiteral("40 trial")));
        QCOMPARE(readAll(job.path), m_expectedCsv);
        QCOMPARE(ExportJob::formats(), TrialExporter::formats() << QStringLiteral("bundle"));
    }

    void jobErrors_data()
    {
        QTest::addColumn<QString>("database");
        QTest::addColumn<qint64>("session");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown format") << QString() << qint64(0) << QStringLiteral("xml") << QStringLiteral("out.xml")
                                        << QStringLiteral("unknown export format 'xml' (known: csv, kerneltuner");
        QTest::newRow("no store") << QStringLiteral("missing.sqlite") << qint64(0) << QStringLiteral("csv")
                                  << QStringLiteral("out.csv") << QStringLiteral("missing.sqlite: no such result store");
        QTest::newRow("no session") << QString() << qint64(999) << QStringLiteral("csv") << QStringLiteral("out.csv")
                                    << QStringLiteral("999");
        QTest::newRow("two sessions to csv") << QString() << qint64(-1) << QStringLiteral("csv") << QStringLiteral("out.csv")
                                             << QStringLiteral("csv exports one session; 2 are selected");
        QTest::newRow("unwritable") << QString() << qint64(0) << QStringLiteral("csv")
                                    << QStringLiteral("no-such-dir/out.csv") << QStringLiteral("no-such-dir/out.csv: cannot write");
    }
    void jobErrors()
    {
        QFETCH(QString, database);
        QFETCH(qint64, session);
        QFETCH(QString, format);
        QFETCH(QString, file);
        QFETCH(QString, message);
        const QVector<qint64> ids = session < 0 ? QVector<qint64>{m_id, m_otherId} : QVector<qint64>{session ? session : m_id};
        const ExportJob job{database.isEmpty() ? m_db : m_dir.filePath(database), ids, format, m_dir.filePath(file)};
        auto done = job.run();
        QVERIFY(!done);
        QVERIFY2(done.error().contains(message), qPrintable(done.error()));
        QVERIFY(!QFile::exists(job.path));
    }

    // File > Export… on the session shown: the dialog writes the file in the background and
    // says where; a bad path gives the core's error and no file.
    void exportFromTheWindow()
    {
        MainWindow window(m_db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.openStoredSession(m_id);
        QCOMPARE(window.trialModel()->rowCount(), 40);
        auto* action = window.findChild<QAction*>(QStringLiteral("exportAction"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_E));
        action->trigger();
        ExportDialog* dialog = window.exportDialog();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        auto* sessions = dialog->findChild<QListWidget*>(QStringLiteral("exportSessions"));
        auto* format = dialog->findChild<QComboBox*>(QStringLiteral("exportFormat"));
        auto* path = dialog->findChild<QLineEdit*>(QStringLiteral("exportPath"));
        auto* button = dialog->findChild<QPushButton*>(QStringLiteral("exportButton"));
        auto* progress = dialog->findChild<QProgressBar*>(QStringLiteral("exportProgress"));
        QVERIFY(sessions && format && path && button && progress);
        QCOMPARE(sessions->count(), 2);
        QCOMPARE(sessions->selectedItems().size(), 1);
        QCOMPARE(sessions->selectedItems().first()->data(Qt::UserRole).toLongLong(), m_id); // the session shown
        QCOMPARE(format->count(), ExportJob::formats().size());
        QVERIFY(path->text().endsWith(QStringLiteral("session-%1.csv").arg(m_id)));

        const QString csv = m_dir.filePath(QStringLiteral("gui.csv"));
        path->clear();
        QTest::keyClicks(path, csv);
        QSignalSpy exported(dialog, &ExportDialog::exported);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 20000);
        QVERIFY(exported.at(0).at(0).toBool());
        QVERIFY(dialog->message().contains(csv));
        QCOMPARE(progress->value(), progress->maximum());
        QCOMPARE(readAll(csv), m_expectedCsv);

        // Kernel Tuner format: the file loads back as a replay device.
        format->setCurrentText(QStringLiteral("kerneltuner"));
        const QString kt = m_dir.filePath(QStringLiteral("gui-kerneltuner.json"));
        path->setText(kt);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, 20000);
        QVERIFY2(exported.at(1).at(0).toBool(), qPrintable(dialog->message()));
        auto replay = DeviceRegistry::open(kt);
        QVERIFY2(replay, qPrintable(replay.error()));

        // A bundle of both GPUs' sessions (Ctrl+click adds the second): it reads back with each
        // session and its best time.
        format->setCurrentText(QStringLiteral("bundle"));
        QListWidgetItem* other = sessions->item(0)->data(Qt::UserRole).toLongLong() == m_otherId ? sessions->item(0) : sessions->item(1);
        QTest::mouseClick(sessions->viewport(), Qt::LeftButton, Qt::ControlModifier, sessions->visualItemRect(other).center());
        QCOMPARE(sessions->selectedItems().size(), 2);
        const QString bundlePath = m_dir.filePath(QStringLiteral("gui.tar.gz"));
        path->setText(bundlePath);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 3, 20000);
        QVERIFY2(exported.at(2).at(0).toBool(), qPrintable(dialog->message()));
        QVERIFY(dialog->message().contains(bundlePath));
        auto bundle = Bundle::read(bundlePath);
        QVERIFY2(bundle, qPrintable(bundle.error()));
        QCOMPARE(bundle->manifest.entries.size(), 2);
        QMap<int, qint64> keyByEvaluations;
        for (const BundleEntry& e : bundle->manifest.entries)
            keyByEvaluations.insert(e.evaluations, e.key);
        QCOMPARE(keyByEvaluations, (QMap<int, qint64>{{20, 4096}, {40, 4096}}));
        QVERIFY(dialog->message().contains(QStringLiteral("2 session")));

        // A directory that does not exist: the core's message, nothing written.
        const QString bad = m_dir.filePath(QStringLiteral("absent/out.csv"));
        format->setCurrentText(QStringLiteral("csv"));
        QCOMPARE(sessions->selectedItems().size(), 1); // back to one session for csv
        path->setText(bad);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 4, 20000);
        QVERIFY(!exported.at(3).at(0).toBool());
        QVERIFY2(dialog->message().startsWith(QStringLiteral("Export failed: %1: cannot write").arg(bad)), qPrintable(dialog->message()));
        QVERIFY(!QFile::exists(bad));
        QVERIFY(button->isEnabled());
    }

private:
    QTemporaryDir m_dir;
    QString m_db;
    qint64 m_id = 0;
    qint64 m_otherId = 0;
    QByteArray m_expectedCsv;
};

QTEST_MAIN(TestStudioExport)
#include "tst_studioexport.moc"

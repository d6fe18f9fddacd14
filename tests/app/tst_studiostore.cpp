// The studio over a result store this process may not write (a read-only mount, a colleague's
// file): the window lists and opens its sessions, exports them and compares them, writing
// nothing into or next to the store, and offers no Start or Resume. It used to open every store
// read-write, so such a store showed no session at all. Root, whom permission bits do not stop,
// runs the checks in this binary again as nobody (setpriv), as tst_clistore runs the CLI.
#include "MainWindow.h"
#include "TestSupport.h"
#include "models/PortabilityModel.h"
#include "models/SessionListModel.h"
#include "models/TrialTableModel.h"
#include "run/ExportJob.h"
#include "session/Session.h"
#include "views/ComparisonView.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace dv;
using namespace dv::studio;

namespace {
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");
const QString kMi250x = QStringLiteral("replay:kerneltuner/convolution_MI250X");
// The child run as nobody finds the store and the writable folder here.
const char* const kStoreVariable = "DV_TEST_READ_ONLY_STORE";
const char* const kOutVariable = "DV_TEST_WRITABLE_DIR";

QByteArray bytesOf(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

class TestStudioStore : public QObject {
    Q_OBJECT
private slots:
    void readOnlyStoreIsBrowsedAndExported()
    {
        if (qEnvironmentVariableIsSet(kStoreVariable)) { // the child, as nobody
            checkReadOnlyStore(qEnvironmentVariable(kStoreVariable), qEnvironmentVariable(kOutVariable));
            return;
        }
        const bool root = ::geteuid() == 0;
        const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
        if (root && setpriv.isEmpty())
            QSKIP("running as root without setpriv: no way to be a user that permissions stop");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("ro")));
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("out")));
        const QString db = dir.filePath(QStringLiteral("ro/results.sqlite"));
        {
            auto store = test::openStore(db);
            for (const auto& [device, budget] : {std::pair{kA100, 40}, std::pair{kMi250x, 20}}) {
                auto session = Session::create(*store, test::openDevice(device), SessionOptions{QStringLiteral("random"), {}, 3, budget, 0, 0});
                QVERIFY2(session, qPrintable(session.error()));
                QVERIFY(session.value()->run());
            }
        }
        // The store and its folder read-only for everyone; the export folder writable by all.
        const auto readOnly = QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther;
        const auto traverse = QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther;
        const auto writeAll = QFile::WriteOwner | QFile::WriteGroup | QFile::WriteOther;
        QVERIFY(QFile::setPermissions(dir.path(), readOnly | traverse | QFile::WriteOwner));
        QVERIFY(QFile::setPermissions(dir.filePath(QStringLiteral("ro")), readOnly | traverse));
        QVERIFY(QFile::setPermissions(db, readOnly));
        QVERIFY(QFile::setPermissions(dir.filePath(QStringLiteral("out")), readOnly | traverse | writeAll));
        const QByteArray before = bytesOf(db);
        QVERIFY(!before.isEmpty());

        if (root) {
            QProcess child;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QString::fromLatin1(kStoreVariable), db);
            env.insert(QString::fromLatin1(kOutVariable), dir.filePath(QStringLiteral("out")));
            env.insert(QStringLiteral("HOME"), dir.filePath(QStringLiteral("out")));
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
            env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
            child.setProcessEnvironment(env);
            child.setProcessChannelMode(QProcess::MergedChannels);
            child.start(setpriv, {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
                                  QCoreApplication::applicationFilePath(), QStringLiteral("readOnlyStoreIsBrowsedAndExported")});
            QVERIFY(child.waitForFinished(240000));
            const QByteArray output = child.readAll();
            QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0, output.constData());
            QVERIFY2(output.contains("PASS   : TestStudioStore::readOnlyStoreIsBrowsedAndExported"), output.constData());
        } else {
            checkReadOnlyStore(db, dir.filePath(QStringLiteral("out")));
            if (QTest::currentTestFailed())
                return;
        }
        // Nothing was written next to the store, nor into it.
        QCOMPARE(QDir(dir.filePath(QStringLiteral("ro"))).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("results.sqlite")});
        QCOMPARE(bytesOf(db), before);
        QVERIFY(QFile::setPermissions(dir.filePath(QStringLiteral("ro")), readOnly | traverse | QFile::WriteOwner));
    }

private:
    // Everything the studio does with a store it only reads, as a user who may not write it.
    static void checkReadOnlyStore(const QString& db, const QString& out)
    {
        QVERIFY(!ResultStore::isWritable(db));
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, QDir(out).filePath(QStringLiteral("settings")));
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // Its sessions are listed and open; nothing can run on it, and the status bar says why.
        SessionListModel* list = window.sessionModel();
        QCOMPARE(list->rowCount(), 2);
        QVERIFY(window.readOnlyStore());
        const qint64 first = list->session(0).id, second = list->session(1).id;
        auto* status = window.findChild<QLabel*>(QStringLiteral("statusText"));
        QVERIFY(status);
        QVERIFY2(status->text().contains(QStringLiteral("%1 is read-only").arg(db)), qPrintable(status->text()));
        auto* start = window.findChild<QPushButton*>(QStringLiteral("startButton"));
        QVERIFY(start && !start->isEnabled());
        window.startSession();
        QVERIFY(!window.isRunning());
        const qint64 a100 = list->session(0).device.id == kA100 ? first : second;
        window.openStoredSession(a100);
        QCOMPARE(window.trialModel()->rowCount(), 40);
        QVERIFY(!window.findChild<QPushButton*>(QStringLiteral("resumeButton"))->isEnabled());

        // Exports: a session's trials, and a bundle of both (each opens the store itself).
        ExportJob csv;
        csv.databasePath = db;
        csv.sessionIds = {a100};
        csv.format = QStringLiteral("csv");
        csv.path = QDir(out).filePath(QStringLiteral("a100.csv"));
        auto wrote = csv.run();
        QVERIFY2(wrote, qPrintable(wrote.error()));
        QCOMPARE(bytesOf(csv.path).count('\n'), 41); // a header and 40 trials
        ExportJob bundle = csv;
        bundle.sessionIds = {first, second};
        bundle.format = QStringLiteral("bundle");
        bundle.path = QDir(out).filePath(QStringLiteral("both.tar.gz"));
        wrote = bundle.run();
        QVERIFY2(wrote, qPrintable(wrote.error()));
        QVERIFY2(wrote->message.contains(QStringLiteral("2 session")), qPrintable(wrote->message));

        // The comparison lists and compares the stored sessions.
        ComparisonView view;
        view.setDatabasePath(db);
        view.setChecked({QStringLiteral("session:%1").arg(first), QStringLiteral("session:%1").arg(second)});
        QCOMPARE(view.portabilityModel()->rowCount(), 2);
    }
};

QTEST_MAIN(TestStudioStore)
#include "tst_studiostore.moc"

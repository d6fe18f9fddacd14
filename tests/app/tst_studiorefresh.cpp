// Session > Refresh on this GPU: the dialog runs core's Refresh recipe (RefreshJob) off the GUI
// thread on a stored ladder, shows the report, and stores one new session per key; a device that
// does not run the ladder's kernel is refused with the core's message and nothing stored.
#include "TestSupport.h"
#include "MainWindow.h"
#include "session/Session.h"
#include "views/RefreshDialog.h"

#include <QAction>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;
using namespace dv::studio;

namespace {

int sessionCount(const QString& db)
{
    auto store = ResultStore::openForReading(db);
    auto list = store ? store.value()->sessions() : Result<QVector<SessionRecord>>(Error{QString()});
    return list ? int(list->size()) : -1;
}

} // namespace

class TestStudioRefresh : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_db;

private slots:
    void initTestCase()
    {
        m_db = m_dir.filePath(QStringLiteral("ladder.db"));
        auto store = ResultStore::open(m_db).value();
        for (int rows : {256, 4096}) {
            SessionOptions options;
            options.maxEvaluations = 30;
            auto session = Session::create(*store, test::openDevice(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows%1_N4096").arg(rows)), options);
            QVERIFY(session && session.value()->run());
        }
    }

    void refreshesTheLadder()
    {
        RefreshDialog dialog(m_db, {1, 2}, QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows{key}_N4096"));
        QSignalSpy done(&dialog, &RefreshDialog::refreshed);
        dialog.start();
        QVERIFY(dialog.isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 60000);
        QCOMPARE(done.first().first().toBool(), true);
        QCOMPARE(dialog.report().count(QStringLiteral("transfer / confirmed")), 2);
        QCOMPARE(sessionCount(m_db), 4);
    }

    void refusesAnotherKernel()
    {
        RefreshDialog dialog(m_db, {1}, QStringLiteral("replay:kerneltuner/convolution_A100"));
        QSignalSpy done(&dialog, &RefreshDialog::refreshed);
        dialog.start();
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 60000);
        QCOMPARE(done.first().first().toBool(), false);
        QVERIFY2(dialog.report().contains(QLatin1String("parameters differ")), qPrintable(dialog.report()));
        QCOMPARE(sessionCount(m_db), 4);
    }

    // The window offers it in the Session menu, with the opened session's GPU's sessions.
    void windowOffersIt()
    {
        MainWindow window(m_db);
        window.openStoredSession(2);
        auto* action = window.findChild<QAction*>(QStringLiteral("refreshOnGpuAction"));
        QVERIFY(action);
        action->trigger();
        QVERIFY(window.refreshDialog());
        auto* sessions = window.refreshDialog()->findChild<QLineEdit*>(QStringLiteral("refreshSessions"));
        QVERIFY(sessions);
        QCOMPARE(sessions->text(), QStringLiteral("1,2,3,4")); // every session of the H100 in the store
    }
};

QTEST_MAIN(TestStudioRefresh)
#include "tst_studiorefresh.moc"

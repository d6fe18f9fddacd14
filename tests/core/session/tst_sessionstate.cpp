#include "session/ResultStore.h"
#include "session/SessionState.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

Q_DECLARE_METATYPE(dv::SessionState)

namespace {

SessionRecord minimalSession()
{
    SessionRecord r;
    r.device.id = QStringLiteral("replay:h100/x");
    r.device.name = QStringLiteral("NVIDIA H100 80GB HBM3");
    r.device.backend = QStringLiteral("replay");
    r.device.toolchain = QStringLiteral("recorded");
    r.problem = QStringLiteral("[4096]");
    r.kernel = QStringLiteral("matmul");
    r.space = QJsonObject{{QStringLiteral("parameters"),
                           QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BLOCK")},
                                                  {QStringLiteral("values"), QJsonArray{32, 64}}}}}};
    r.strategy = QStringLiteral("grid");
    return r;
}

} // namespace

class TestSessionState : public QObject {
    Q_OBJECT

private slots:
    void namesAreTheStoredText_data();
    void namesAreTheStoredText();
    void everyStateReadsBack();
    void otherTextIsNoState_data();
    void otherTextIsNoState();
    void storeKeepsTheName_data();
    void storeKeepsTheName();
};

void TestSessionState::namesAreTheStoredText_data()
{
    QTest::addColumn<SessionState>("state");
    QTest::addColumn<QString>("name");
    // The text stores and bundles written before the enum hold: it must not change.
    QTest::newRow("running") << SessionState::Running << QStringLiteral("running");
    QTest::newRow("paused") << SessionState::Paused << QStringLiteral("paused");
    QTest::newRow("stopped") << SessionState::Stopped << QStringLiteral("stopped");
    QTest::newRow("finished") << SessionState::Finished << QStringLiteral("finished");
    QTest::newRow("failed") << SessionState::Failed << QStringLiteral("failed");
}

void TestSessionState::namesAreTheStoredText()
{
    QFETCH(SessionState, state);
    QFETCH(QString, name);
    QCOMPARE(sessionStateName(state), name);
    QCOMPARE(sessionStateFromName(name), std::optional<SessionState>(state));
}

void TestSessionState::everyStateReadsBack()
{
    QStringList names;
    for (SessionState s : kAllSessionStates) {
        QCOMPARE(sessionStateFromName(sessionStateName(s)), std::optional<SessionState>(s));
        QVERIFY2(!names.contains(sessionStateName(s)), qPrintable(sessionStateName(s)));
        names.append(sessionStateName(s));
    }
    QCOMPARE(names.size(), 5);
}

void TestSessionState::otherTextIsNoState_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("capitalised") << QStringLiteral("Running");
    QTest::newRow("padded") << QStringLiteral(" stopped");
    QTest::newRow("a run's reason, not a state") << QStringLiteral("budget");
    QTest::newRow("unknown") << QStringLiteral("done");
}

void TestSessionState::otherTextIsNoState()
{
    QFETCH(QString, text);
    QVERIFY(!sessionStateFromName(text).has_value());
}

void TestSessionState::storeKeepsTheName_data()
{
    QTest::addColumn<SessionState>("state");
    for (SessionState s : kAllSessionStates)
        QTest::newRow(qPrintable(sessionStateName(s))) << s;
}

void TestSessionState::storeKeepsTheName()
{
    QFETCH(SessionState, state);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("s.sqlite"));
    qint64 id = 0;
    {
        auto store = ResultStore::open(path);
        QVERIFY2(store.ok(), qPrintable(store.error()));
        auto created = store.value()->createSession(minimalSession());
        QVERIFY2(created.ok(), qPrintable(created.error()));
        id = created.value();
        QCOMPARE(store.value()->session(id).value().state, QStringLiteral("running")); // a new session runs
        auto set = store.value()->setSessionState(id, state);
        QVERIFY2(set.ok(), qPrintable(set.error()));
    }
    auto reopened = ResultStore::open(path);
    QVERIFY2(reopened.ok(), qPrintable(reopened.error()));
    const SessionRecord back = reopened.value()->session(id).value();
    QCOMPARE(back.state, sessionStateName(state));
    QCOMPARE(sessionStateFromName(back.state), std::optional<SessionState>(state));
}

QTEST_GUILESS_MAIN(TestSessionState)
#include "tst_sessionstate.moc"

// dejavu-tune on several device slots, run as a user would: a session killed with SIGKILL in the
// middle of a 4-slot run resumes with every finished trial and repeats none; a pool of two GPU
// types runs one session per type.
#include "session/ResultStore.h"

#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <signal.h>

using namespace dv;

namespace {

const QString kTune = QStringLiteral(DEJAVU_TUNE_PATH);
const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);
const QString kMatmul = QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");

QVector<Trial> storedTrials(const QString& db, qint64 session)
{
    auto store = ResultStore::openForReading(db);
    if (!store)
        return {};
    auto trials = store.value()->trials(session);
    return trials ? trials.value() : QVector<Trial>();
}

} // namespace

class TestCliParallel : public QObject {
    Q_OBJECT
private slots:
    void killedMidRunResumesLosingAndRepeatingNothing()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("r.db"));
        QProcess tune;
        tune.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        tune.start(kTune, {QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--device"), kMatmul,
                           QStringLiteral("--slots"), QStringLiteral("4"), QStringLiteral("--latency-ms"), QStringLiteral("150"),
                           QStringLiteral("--budget"), QStringLiteral("60"), QStringLiteral("--strategy"), QStringLiteral("bayes"),
                           QStringLiteral("--quiet")});
        QVERIFY(tune.waitForStarted());
        // Killed while evaluations are in flight, once a dozen are stored.
        QVector<Trial> before;
        for (int i = 0; i < 600 && before.size() < 12; ++i) {
            QThread::msleep(50);
            before = storedTrials(db, 1);
        }
        QVERIFY2(before.size() >= 12, qPrintable(QStringLiteral("%1 trials stored").arg(before.size())));
        ::kill(pid_t(tune.processId()), SIGKILL);
        QVERIFY(tune.waitForFinished());
        before = storedTrials(db, 1);
        QVERIFY(before.size() < 60);

        QProcess resume;
        resume.start(kTune, {QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1"),
                             QStringLiteral("--slots"), QStringLiteral("4"), QStringLiteral("--latency-ms"), QStringLiteral("5"),
                             QStringLiteral("--quiet")});
        QVERIFY(resume.waitForFinished(120000));
        QVERIFY2(resume.exitCode() == 0, resume.readAllStandardError().constData());
        const QVector<Trial> after = storedTrials(db, 1);
        QCOMPARE(after.size(), 60);
        for (int i = 0; i < before.size(); ++i) {
            QCOMPARE(after[i].configKey, before[i].configKey);
            QCOMPARE(after[i].measurement.objectiveMs, before[i].measurement.objectiveMs);
        }
        QSet<QString> keys;
        for (const Trial& t : after) {
            QVERIFY2(!keys.contains(t.configKey), qPrintable(QStringLiteral("measured twice: ") + t.configKey));
            keys.insert(t.configKey);
        }
    }

    void aPoolOfTwoGpuTypesRunsOneSessionPerType()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("pool.db"));
        QProcess tune;
        tune.start(kTune, {QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--device"),
                           QStringLiteral("worker:gpus=0-3 %1 --delay-ms 10 --device-names GPU-A,GPU-A,GPU-B,GPU-B").arg(kWorker),
                           QStringLiteral("--budget"), QStringLiteral("15"), QStringLiteral("--strategy"), QStringLiteral("random"),
                           QStringLiteral("--remeasure"), QStringLiteral("0")});
        QVERIFY(tune.waitForFinished(120000));
        const QString err = QString::fromUtf8(tune.readAllStandardError());
        QVERIFY2(tune.exitCode() == 0, qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("pool of 2 GPU types: GPU-A (2 slots), GPU-B (2 slots)")), qPrintable(err));
        auto store = ResultStore::openForReading(db);
        QVERIFY(store);
        auto sessions = store.value()->sessions();
        QVERIFY(sessions);
        QCOMPARE(sessions->size(), 2);
        QSet<QString> names;
        for (const SessionRecord& r : sessions.value()) {
            names.insert(r.device.name);
            const QVector<Trial> trials = store.value()->trials(r.id).value();
            QCOMPARE(trials.size(), 15);
            QSet<QString> keys;
            for (const Trial& t : trials)
                keys.insert(t.configKey);
            QCOMPARE(keys.size(), 15);
        }
        QCOMPARE(names, (QSet<QString>{QStringLiteral("GPU-A"), QStringLiteral("GPU-B")}));
    }

    // A session of one GPU type refuses slots of another when opened as one session.
    void oneSessionNeverMixesGpus()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QProcess replay;
        replay.start(kTune, {QStringLiteral("replay"), QStringLiteral("--dataset"),
                             QStringLiteral("worker:gpus=0,1 %1 --device-names X,Y").arg(kWorker), QStringLiteral("--budget"),
                             QStringLiteral("4")});
        QVERIFY(replay.waitForFinished(60000));
        QCOMPARE(replay.exitCode(), 2);
        const QString err = QString::fromUtf8(replay.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("never mixes GPUs")), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestCliParallel)
#include "tst_cliparallel.moc"

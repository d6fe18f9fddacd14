// `dejavu-tune refresh` end to end on replay devices: a ladder refreshed on the platform it was
// tuned on keeps every best (table and --json), from stored sessions and from a bundle; bad input
// (an unknown session, another kernel, a bundle without sessions, no device) exits 2 naming the
// file or field, with nothing stored.
#include "CliRun.h"
#include "TestSupport.h"
#include "export/Bundle.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
    QString describe() const { return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(exitCode).arg(out.left(3000), err.left(3000)); }
};

Run textOf(const dv::test::CliRun& r) { return Run{r.exitCode, r.outText(), r.errText()}; }

Run cli(const QStringList& args)
{
    return textOf(dv::test::runCli(args));
}

const QString kRms = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows{key}_N4096");

int sessionCount(const QString& db)
{
    auto store = ResultStore::openForReading(db);
    if (!store)
        return -1;
    auto list = store.value()->sessions();
    return list ? int(list->size()) : -1;
}

} // namespace

class TestCliRefresh : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase()
    {
        // The ladder of platform A: sessions 1, 2 (rows 256, 4096) and a convolution session 3.
        const Run r = cli({QStringLiteral("ladder"), QStringLiteral("--device"), kRms, QStringLiteral("--keys"), QStringLiteral("256,4096"),
                           QStringLiteral("--budget"), QStringLiteral("30"), QStringLiteral("--db"), path(QStringLiteral("a.db")), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const Run c = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:kerneltuner/convolution_A100"), QStringLiteral("--budget"),
                           QStringLiteral("5"), QStringLiteral("--db"), path(QStringLiteral("a.db"))});
        QVERIFY2(c.exitCode == 0, qPrintable(c.err));
        QCOMPARE(sessionCount(path(QStringLiteral("a.db"))), 3);
    }

    // The same platform: every key's best kept and confirmed, one new session per key.
    void sameGpuKeepsEveryBest()
    {
        const QString db = path(QStringLiteral("a.db"));
        const Run r = cli({QStringLiteral("refresh"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2"),
                           QStringLiteral("--device"), kRms, QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("refresh")).toArray();
        QCOMPARE(rows.size(), 2);
        for (int i = 0; i < 2; ++i) {
            const QJsonObject row = rows[i].toObject();
            QCOMPARE(row.value(QStringLiteral("key")).toInt(), i == 0 ? 256 : 4096);
            QCOMPARE(row.value(QStringLiteral("session")).toInt(), 4 + i);
            QCOMPARE(row.value(QStringLiteral("changed")).toBool(true), false);
            QCOMPARE(row.value(QStringLiteral("mode")).toString(), QStringLiteral("transfer"));
            QCOMPARE(row.value(QStringLiteral("ended")).toString(), QStringLiteral("confirmed"));
            QCOMPARE(row.value(QStringLiteral("old_best_ms_here")).toDouble(), row.value(QStringLiteral("new_best_ms")).toDouble());
            QVERIFY(row.value(QStringLiteral("evaluations")).toInt() <= 16);
            QCOMPARE(row.value(QStringLiteral("device")).toString(), QString(kRms).replace(QStringLiteral("{key}"), QString::number(i == 0 ? 256 : 4096)));
        }
        QCOMPARE(sessionCount(db), 5);
        QVERIFY2(r.err.contains(QLatin1String("session 1 -> session 4")), qPrintable(r.err));
    }

    // From a bundle of the ladder into another database; the table names every column.
    void fromBundle()
    {
        const Run b = cli({QStringLiteral("bundle"), QStringLiteral("create"), QStringLiteral("--db"), path(QStringLiteral("a.db")),
                           QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--kernel"), QStringLiteral("rmsnorm"),
                           QStringLiteral("--out"), path(QStringLiteral("a.tar.gz"))});
        QVERIFY2(b.exitCode == 0, qPrintable(b.err));
        const Run r = cli({QStringLiteral("refresh"), QStringLiteral("--bundle"), path(QStringLiteral("a.tar.gz")), QStringLiteral("--device"), kRms,
                           QStringLiteral("--db"), path(QStringLiteral("b.db")), QStringLiteral("--budget"), QStringLiteral("12")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QLatin1String("A's best here")) && r.out.contains(QLatin1String("transfer /")), qPrintable(r.out));
        QCOMPARE(sessionCount(path(QStringLiteral("b.db"))), 2);
    }

    // Recorded landscapes stand in for A's sessions: the H100 matmul tuned at 1024^3, refreshed at
    // 4096^3, where its best is 1.5x the optimum: noticed, searched cold, a new best.
    void fromDataset()
    {
        const Run r = cli({QStringLiteral("refresh"), QStringLiteral("--dataset"), QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024"),
                           QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"), QStringLiteral("--budget"),
                           QStringLiteral("25"), QStringLiteral("--db"), path(QStringLiteral("c.db")), QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject row = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("refresh")).toArray().first().toObject();
        QCOMPARE(row.value(QStringLiteral("mode")).toString(), QStringLiteral("cold"));
        QCOMPARE(row.value(QStringLiteral("evaluations")).toInt(), 25);
        QCOMPARE(row.value(QStringLiteral("changed")).toBool(), true);
        QVERIFY(row.value(QStringLiteral("new_best_ms")).toDouble() < row.value(QStringLiteral("old_best_ms_here")).toDouble());
    }

    // --cross-check: A's best --seeds configurations measured here, nothing else.
    void crossCheck()
    {
        const Run r = cli({QStringLiteral("refresh"), QStringLiteral("--dataset"), QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024"),
                           QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"), QStringLiteral("--cross-check"),
                           QStringLiteral("--seeds"), QStringLiteral("3"), QStringLiteral("--db"), path(QStringLiteral("x.db")), QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject row = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("refresh")).toArray().first().toObject();
        QCOMPARE(row.value(QStringLiteral("evaluations")).toInt(), 3);
        QCOMPARE(row.value(QStringLiteral("ended")).toString(), QStringLiteral("cross-checked"));
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("expected");
        const QString db = path(QStringLiteral("a.db"));
        // A bundle whose manifest lists no session (sealed, so only the missing sessions are wrong).
        Bundle empty;
        empty.manifest.kernel = QStringLiteral("rmsnorm");
        empty.manifest.createdAt = QStringLiteral("2026-12-03T00:00:00.000Z");
        empty.seal();
        if (auto written = empty.write(path(QStringLiteral("empty.tar.gz")), true); !written)
            qFatal("%s", qPrintable(written.error()));
        QTest::newRow("unknown session") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,99"), QStringLiteral("--device"), kRms}
                                         << QStringList{db, QStringLiteral("session 99")};
        QTest::newRow("another kernel") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("3"), QStringLiteral("--device"),
                                                       QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096")}
                                        << QStringList{QStringLiteral("kernel 'convolution_kernel'"), QStringLiteral("kernel 'triton_rmsnorm_fp16_rows16_N4096'"),
                                                       QStringLiteral("parameters differ")};
        QTest::newRow("bundle without sessions") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--bundle"), path(QStringLiteral("empty.tar.gz")),
                                                                QStringLiteral("--device"), kRms}
                                                 << QStringList{QStringLiteral("empty.tar.gz: manifest.json: entries")};
        QTest::newRow("no device") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1")}
                                   << QStringList{QStringLiteral("--device is required")};
        QTest::newRow("sessions and bundle") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--bundle"),
                                                            path(QStringLiteral("empty.tar.gz")), QStringLiteral("--device"), kRms}
                                             << QStringList{QStringLiteral("--session, --bundle and --dataset: give one of them")};
        QTest::newRow("dataset that is a worker") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--dataset"), QStringLiteral("worker:touch ") + path(QStringLiteral("ran")),
                                                                 QStringLiteral("--device"), kRms}
                                                  << QStringList{QStringLiteral("--dataset worker:touch")};
        QTest::newRow("several keys, one device") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--device"),
                                                                 QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows256_N4096")}
                                                  << QStringList{QStringLiteral("2 keys to refresh"), QStringLiteral("{key}")};
        QTest::newRow("unknown device") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--device"),
                                                       QStringLiteral("replay:h100/nothing_{key}")}
                                        << QStringList{QStringLiteral("session 1"), QStringLiteral("nothing_256")};
        QTest::newRow("bad agreement") << QStringList{QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--device"), kRms,
                                                      QStringLiteral("--agreement"), QStringLiteral("0.5")}
                                       << QStringList{QStringLiteral("--agreement")};
    }

    // Exit 2, the file or field named, and no session stored.
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, expected);
        const int before = sessionCount(path(QStringLiteral("a.db")));
        const Run r = cli(QStringList{QStringLiteral("refresh")} + args);
        QCOMPARE(r.exitCode, 2);
        for (const QString& e : expected)
            QVERIFY2(r.err.contains(e), qPrintable(r.err));
        QCOMPARE(sessionCount(path(QStringLiteral("a.db"))), before);
        QVERIFY(!QFile::exists(path(QStringLiteral("ran"))));
    }
};

QTEST_GUILESS_MAIN(TestCliRefresh)
#include "tst_clirefresh.moc"

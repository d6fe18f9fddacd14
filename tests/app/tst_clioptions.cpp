// What every `dejavu-tune` command shares: --help on stdout with the command in its usage line,
// exit statuses a script can tell apart (3: a session ran but nothing succeeded), one default
// strategy and seed, --db and --database, --budget on resume as the session's total, and numbers
// printed the same in progress, summary and `sessions`.
#include "CliRun.h"
#include "base/Format.h"
#include "export/SessionExport.h"
#include "search/StrategyFactory.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
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

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

/// A Kernel Tuner cache of three configurations of `x`: with times, or all failing to compile.
QByteArray ktCache(bool failing, int problem)
{
    QByteArray entries;
    for (int x : {1, 2, 3}) {
        const QByteArray time = failing ? QByteArray("\"CompilationFailedConfig\"") : QByteArray::number(0.01 * x);
        entries += (entries.isEmpty() ? "" : ",\n") + QByteArray("\"") + QByteArray::number(x) + "\": {\"x\": " + QByteArray::number(x)
                   + ", \"time\": " + time + ", \"compile_time\": 1.0}";
    }
    return "{\"device_name\": \"Test GPU\", \"kernel_name\": \"k\", \"problem_size\": [" + QByteArray::number(problem)
           + "], \"tune_params_keys\": [\"x\"], \"tune_params\": {\"x\": [1, 2, 3]}, \"objective\": \"time\", \"cache\": {\n" + entries + "\n}}\n";
}

/// The commands Cli::run dispatches (the list --help must describe, each with its own --help).
const QStringList kCommands{QStringLiteral("devices"), QStringLiteral("tune"), QStringLiteral("replay"), QStringLiteral("sessions"),
                            QStringLiteral("export"), QStringLiteral("space"), QStringLiteral("bench-strategies"), QStringLiteral("ladder"),
                            QStringLiteral("bundle"), QStringLiteral("compare"),
                            QStringLiteral("refresh")};

} // namespace

class TestCliOptions : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void helpGoesToStdout_data();
    void helpGoesToStdout();
    void usageErrorsGoToStderr_data();
    void usageErrorsGoToStderr();
    void commandListIsTruthful();
    void noResultExitsThree();
    void defaultsAgree();
    void databaseAlias_data();
    void databaseAlias();
    void resumeBudgetIsTheSessionsTotal();
    void numbersPrintTheSameEverywhere();

private:
    Run cli(const QStringList& args) const;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

Run TestCliOptions::cli(const QStringList& args) const
{
    test::CliEnv env = test::inFolder(m_dir.path());
    env.workingDirectory = m_dir.path();
    return textOf(test::runCli(args, env));
}

// `dejavu-tune --help` exited 2 on stderr and `bundle --help` was an error; every usage line
// named the executable without its subcommand.
void TestCliOptions::helpGoesToStdout_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("usage"); // the start of stdout
    const QString list = QStringLiteral("usage: dejavu-tune <command> [options]");
    QTest::newRow("--help") << QStringList{QStringLiteral("--help")} << list;
    QTest::newRow("-h") << QStringList{QStringLiteral("-h")} << list;
    QTest::newRow("help") << QStringList{QStringLiteral("help")} << list;
    QTest::newRow("help tune") << QStringList{QStringLiteral("help"), QStringLiteral("tune")} << QStringLiteral("Usage: dejavu-tune tune [options]");
    for (const QString& c : kCommands) {
        if (c == QLatin1String("bundle"))
            continue;
        QTest::addRow("%s --help", qPrintable(c)) << QStringList{c, QStringLiteral("--help")}
                                                  << QStringLiteral("Usage: dejavu-tune %1 [options]").arg(c);
    }
    QTest::newRow("bundle --help") << QStringList{QStringLiteral("bundle"), QStringLiteral("--help")}
                                   << QStringLiteral("usage: dejavu-tune bundle <command> [options]");
    QTest::newRow("bundle help") << QStringList{QStringLiteral("bundle"), QStringLiteral("help")}
                                 << QStringLiteral("usage: dejavu-tune bundle <command> [options]");
    for (const char* sub : {"create", "inspect", "verify", "import", "merge"})
        QTest::addRow("bundle %s --help", sub) << QStringList{QStringLiteral("bundle"), QLatin1String(sub), QStringLiteral("--help")}
                                               << QStringLiteral("Usage: dejavu-tune bundle %1 [options]").arg(QLatin1String(sub));
}

void TestCliOptions::helpGoesToStdout()
{
    QFETCH(QStringList, args);
    QFETCH(QString, usage);
    const Run r = cli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY2(r.out.startsWith(usage), qPrintable(r.describe()));
    QVERIFY2(r.err.isEmpty(), qPrintable(r.describe()));
}

void TestCliOptions::usageErrorsGoToStderr_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no command") << QStringList{} << QStringLiteral("usage: dejavu-tune <command> [options]");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << QStringLiteral("unknown command 'frobnicate'");
    QTest::newRow("bundle without a command") << QStringList{QStringLiteral("bundle")} << QStringLiteral("usage: dejavu-tune bundle <command>");
    QTest::newRow("unknown bundle command") << QStringList{QStringLiteral("bundle"), QStringLiteral("zip")}
                                            << QStringLiteral("bundle: expected one of create, inspect, verify, import, merge, got 'zip'");
}

void TestCliOptions::usageErrorsGoToStderr()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = cli(args);
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.out.isEmpty(), qPrintable(r.describe()));
    QVERIFY2(r.err.contains(message), qPrintable(r.describe()));
}

// The list names every command, and `export` says what it writes: every format, not "CSV or a
// Kernel Tuner cache file".
void TestCliOptions::commandListIsTruthful()
{
    const Run r = cli({QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    QSet<QString> listed;
    QString exportText;
    bool inExport = false;
    for (const QString& line : r.out.split(QLatin1Char('\n'))) {
        const auto m = QRegularExpression(QStringLiteral("^  ([a-z-]+)\\s")).match(line);
        if (m.hasMatch())
            listed.insert(m.captured(1));
        inExport = m.hasMatch() ? m.captured(1) == QLatin1String("export") : inExport && line.startsWith(QLatin1String("    "));
        if (inExport)
            exportText += line;
    }
    QSet<QString> expected(kCommands.begin(), kCommands.end());
    expected.insert(QStringLiteral("help"));
    QCOMPARE(listed, expected);
    for (const QString& format : SessionExport::formats())
        QVERIFY2(exportText.contains(format), qPrintable(format + QStringLiteral(" missing from: ") + exportText));
    QVERIFY2(r.out.contains(QLatin1String("3 a session ran but no configuration succeeded")), qPrintable(r.out));
}

// A session in which every configuration failed printed "best: none" and exited 0.
void TestCliOptions::noResultExitsThree()
{
    QVERIFY(writeFile(path(QStringLiteral("fails.json")), ktCache(true, 2)));
    QVERIFY(writeFile(path(QStringLiteral("works.json")), ktCache(false, 1)));
    const Run tune = cli({QStringLiteral("tune"), QStringLiteral("--device"), path(QStringLiteral("fails.json")), QStringLiteral("--strategy"),
                          QStringLiteral("grid"), QStringLiteral("--db"), path(QStringLiteral("none.sqlite")), QStringLiteral("--quiet")});
    QVERIFY2(tune.exitCode == 3, qPrintable(tune.describe()));
    QVERIFY2(tune.err.contains(QLatin1String("best: none (no configuration succeeded)")), qPrintable(tune.describe()));
    QVERIFY2(tune.err.contains(QLatin1String("3 evaluations")), qPrintable(tune.describe()));
    const Run works = cli({QStringLiteral("tune"), QStringLiteral("--device"), path(QStringLiteral("works.json")), QStringLiteral("--strategy"),
                           QStringLiteral("grid"), QStringLiteral("--db"), path(QStringLiteral("none.sqlite")), QStringLiteral("--quiet")});
    QVERIFY2(works.exitCode == 0, qPrintable(works.describe()));

    const Run replay = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), path(QStringLiteral("fails.json")), QStringLiteral("--strategy"),
                            QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("3")});
    QVERIFY2(replay.exitCode == 3, qPrintable(replay.describe()));
    QCOMPARE(replay.out.count(QLatin1Char('\n')), 3); // the JSON lines are still printed
    QVERIFY2(replay.err.contains(QLatin1String("no configuration succeeded")), qPrintable(replay.describe()));

    // A ladder with one key that found nothing is not done either.
    QVERIFY(writeFile(path(QStringLiteral("ladder1.json")), ktCache(false, 1)));
    QVERIFY(writeFile(path(QStringLiteral("ladder2.json")), ktCache(true, 2)));
    const Run ladder = cli({QStringLiteral("ladder"), QStringLiteral("--device"), path(QStringLiteral("ladder{key}.json")), QStringLiteral("--keys"),
                            QStringLiteral("1,2"), QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("3"),
                            QStringLiteral("--db"), path(QStringLiteral("ladder.sqlite"))});
    QVERIFY2(ladder.exitCode == 3, qPrintable(ladder.describe()));
    QVERIFY2(ladder.err.contains(QLatin1String("no configuration succeeded for key 2")), qPrintable(ladder.describe()));
}

// One default strategy and seed (bayes, 1: StrategyFactory) for tune, ladder, replay,
// bench-strategies, SessionOptions and the studio; tune used random with seed 0, replay had none.
void TestCliOptions::defaultsAgree()
{
    QCOMPARE(StrategyFactory::defaultName(), QStringLiteral("bayes"));
    QCOMPARE(StrategyFactory::kDefaultSeed, quint64(1));
    const SessionOptions options;
    QCOMPARE(options.strategy, StrategyFactory::defaultName());
    QCOMPARE(options.seed, StrategyFactory::kDefaultSeed);

    const QString db = path(QStringLiteral("defaults.sqlite"));
    const Run tune = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows1_N4096"),
                          QStringLiteral("--budget"), QStringLiteral("4"), QStringLiteral("--db"), db, QStringLiteral("--quiet")});
    QVERIFY2(tune.exitCode == 0, qPrintable(tune.describe()));
    const Run ladder = cli({QStringLiteral("ladder"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows{key}_N4096"),
                            QStringLiteral("--keys"), QStringLiteral("16"), QStringLiteral("--budget"), QStringLiteral("4"), QStringLiteral("--db"), db,
                            QStringLiteral("--quiet")});
    QVERIFY2(ladder.exitCode == 0, qPrintable(ladder.describe()));
    {
        auto store = ResultStore::open(db);
        QVERIFY2(store, qPrintable(store.error()));
        for (qint64 id : {1, 2}) {
            const SessionRecord r = store.value()->session(id).value();
            QCOMPARE(r.strategy, StrategyFactory::defaultName());
            QCOMPARE(r.seed, StrategyFactory::kDefaultSeed);
        }
    }

    const QStringList replay{QStringLiteral("replay"), QStringLiteral("--dataset"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows1_N4096"),
                             QStringLiteral("--budget"), QStringLiteral("6")};
    const Run implicit = cli(replay);
    QVERIFY2(implicit.exitCode == 0, qPrintable(implicit.describe()));
    const Run explicitly = cli(replay + QStringList{QStringLiteral("--strategy"), QStringLiteral("bayes"), QStringLiteral("--seed"), QStringLiteral("1")});
    QCOMPARE(implicit.out, explicitly.out);

    const Run bench = cli({QStringLiteral("bench-strategies"), QStringLiteral("--datasets"), QStringLiteral("h100/triton_rmsnorm_fp16_rows1_N4096"),
                           QStringLiteral("--budgets"), QStringLiteral("4"), QStringLiteral("--seeds"), QStringLiteral("1"), QStringLiteral("--threads"),
                           QStringLiteral("1")});
    QVERIFY2(bench.exitCode == 0, qPrintable(bench.describe()));
    QVERIFY2(bench.out.contains(QLatin1String("| h100/triton_rmsnorm_fp16_rows1_N4096 | bayes |")), qPrintable(bench.describe()));
    QVERIFY2(bench.out.contains(QLatin1String("seeds per strategy and landscape (1..1)")), qPrintable(bench.describe()));
}

// `ladder` and `bundle` took --database, `tune`, `sessions` and `export` only --db: now every
// command that takes a store takes both.
void TestCliOptions::databaseAlias_data()
{
    QTest::addColumn<QString>("spelling");
    QTest::newRow("--db") << QStringLiteral("--db");
    QTest::newRow("--database") << QStringLiteral("--database");
}

void TestCliOptions::databaseAlias()
{
    QFETCH(QString, spelling);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("store.sqlite"));
    const auto run = [&](QStringList args) {
        const Run r = cli(args);
        if (r.exitCode != 0)
            qWarning("%s", qPrintable(r.describe()));
        return r;
    };
    QCOMPARE(run({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"),
                  QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("5"), spelling, db,
                  QStringLiteral("--quiet")}).exitCode, 0);
    QVERIFY(QFileInfo::exists(db));
    const Run sessions = run({QStringLiteral("sessions"), spelling, db});
    QCOMPARE(sessions.exitCode, 0);
    QVERIFY(sessions.out.contains(QLatin1String("triton_rmsnorm_fp16_rows16_N4096")));
    QCOMPARE(run({QStringLiteral("export"), spelling, db, QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--out"),
                  dir.filePath(QStringLiteral("t.csv"))}).exitCode, 0);
    QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("t.csv"))));
    QCOMPARE(run({QStringLiteral("ladder"), QStringLiteral("--coverage"), spelling, db}).exitCode, 0);
    QCOMPARE(run({QStringLiteral("bundle"), QStringLiteral("create"), spelling, db, QStringLiteral("--session"), QStringLiteral("1"),
                  QStringLiteral("--out"), dir.filePath(QStringLiteral("b.tar.gz"))}).exitCode, 0);
    QCOMPARE(run({QStringLiteral("bundle"), QStringLiteral("import"), dir.filePath(QStringLiteral("b.tar.gz")), spelling,
                  dir.filePath(QStringLiteral("copy.sqlite"))}).exitCode, 0);
    QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("copy.sqlite"))));
    // The default database was never touched.
    QVERIFY(!QFileInfo::exists(path(QStringLiteral("xdg-data"))));
}

// On resume --budget is the session's total: a budget below what is stored is refused, and the
// progress counts from the stored evaluations with the session's best, not this run's.
void TestCliOptions::resumeBudgetIsTheSessionsTotal()
{
    const QString db = path(QStringLiteral("resume.sqlite"));
    const Run first = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"),
                           QStringLiteral("--strategy"), QStringLiteral("random"), QStringLiteral("--seed"), QStringLiteral("3"),
                           QStringLiteral("--budget"), QStringLiteral("20"), QStringLiteral("--remeasure"), QStringLiteral("0"),
                           QStringLiteral("--db"), db, QStringLiteral("--quiet")});
    QVERIFY2(first.exitCode == 0, qPrintable(first.describe()));
    double storedBest = 0;
    {
        auto store = ResultStore::open(db);
        QVERIFY(store);
        storedBest = store.value()->session(1).value().bestMs.value();
    }
    for (const char* budget : {"10", "20"}) {
        const Run refused = cli({QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1"),
                                 QStringLiteral("--budget"), QLatin1String(budget)});
        QVERIFY2(refused.exitCode == 2, qPrintable(refused.describe()));
        QVERIFY2(refused.err.contains(QStringLiteral("--budget %1: session 1 already has 20 evaluations; --budget is the session's total")
                                          .arg(QLatin1String(budget))),
                 qPrintable(refused.describe()));
    }
    const Run resumed = cli({QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1"),
                             QStringLiteral("--budget"), QStringLiteral("40")});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.describe()));
    // stderr is no terminal: a progress line per tenth; the first comes at 20 of 40, with the
    // best of the 20 stored evaluations.
    const QStringList progress = resumed.err.split(QLatin1Char('\n')).filter(QRegularExpression(QStringLiteral("^\\d+/\\d+ evaluations")));
    QVERIFY2(!progress.isEmpty(), qPrintable(resumed.describe()));
    QCOMPARE(progress.first(), QStringLiteral("20/40 evaluations  best %1").arg(Format::time(storedBest)));
    QVERIFY2(progress.last().startsWith(QLatin1String("40/40 evaluations")), qPrintable(resumed.describe()));
    auto store = ResultStore::open(db);
    QCOMPARE(store.value()->trials(1).value().size(), 40);
    QVERIFY(cli({QStringLiteral("tune"), QStringLiteral("--help")}).out.contains(QLatin1String("The session's total number of evaluations")));
}

// One number, one text: the best prints the same in the progress, the summary and `sessions`,
// with a unit that fits a µs-scale kernel; a quick run does not take "0.0 s"; "1 constraint".
void TestCliOptions::numbersPrintTheSameEverywhere()
{
    const QString db = path(QStringLiteral("numbers.sqlite"));
    const Run tune = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"),
                          QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("30"),
                          QStringLiteral("--remeasure"), QStringLiteral("0"), QStringLiteral("--db"), db});
    QVERIFY2(tune.exitCode == 0, qPrintable(tune.describe()));
    double best = 0;
    {
        auto store = ResultStore::open(db);
        best = store.value()->session(1).value().bestMs.value();
    }
    const QString text = Format::time(best);
    QVERIFY2(text.endsWith(QStringLiteral(" \u00b5s")), qPrintable(text)); // about 5 µs, not "0.005... ms"
    QVERIFY2(tune.err.contains(QStringLiteral("30/30 evaluations  best %1\n").arg(text)), qPrintable(tune.describe()));
    QVERIFY2(tune.err.contains(QStringLiteral("\nbest: %1  ").arg(text)), qPrintable(tune.describe()));
    QVERIFY2(tune.err.contains(QRegularExpression(QStringLiteral("30 evaluations \\(0 answered from the store\\) in \\d+(\\.\\d)? (ms|s) on"))),
             qPrintable(tune.describe()));
    QVERIFY2(!tune.err.contains(QLatin1String("in 0.0 s")), qPrintable(tune.describe()));
    const Run sessions = cli({QStringLiteral("sessions"), QStringLiteral("--db"), db});
    QVERIFY2(sessions.out.contains(QStringLiteral("  %1  grid").arg(text)), qPrintable(sessions.describe()));

    QVERIFY(writeFile(path(QStringLiteral("one.json")),
                      R"({"parameters": [{"name": "x", "values": [1, 2, 4]}], "constraints": ["x <= 2"]})"));
    const Run space = cli({QStringLiteral("space"), path(QStringLiteral("one.json"))});
    QVERIFY2(space.exitCode == 0, qPrintable(space.describe()));
    QVERIFY2(space.out.contains(QLatin1String(": 1 parameter, 3 combinations, 2 valid after 1 constraint (")), qPrintable(space.describe()));
}

QTEST_GUILESS_MAIN(TestCliOptions)
#include "tst_clioptions.moc"

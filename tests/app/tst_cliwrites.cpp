// Every file `dejavu-tune` writes goes through core's SafeFile (docs/hostile-inputs.md, "Writing
// files"): regular files only, atomically, never over other content without --force. Each case
// runs the real binary against a hostile target made in a QTemporaryDir (mkfifo, mknod, bind,
// links) and checks the exit status, the message, and that the target is still what it was.
#include "HostileFiles.h"
#include "CliRun.h"
#include "TestSupport.h"
#include "export/TrialExporter.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;
using namespace dv::test;

namespace {

using Run = dv::test::CliRun;

const QString kVllmName = QStringLiteral("E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");

} // namespace

class TestCliWrites : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void trialFormatsRefuseHostileTargets_data();
    void trialFormatsRefuseHostileTargets();
    void trialFormatsNeedForce_data();
    void trialFormatsNeedForce();
    void missingDirectoryIsBadInput();
    void dashStreamsToStdout();
    void deploymentFormatsRefuseHostileTargets_data();
    void deploymentFormatsRefuseHostileTargets();
    void bundlesRefuseHostileTargets_data();
    void bundlesRefuseHostileTargets();

private:
    Run cli(const QStringList& args) const;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

Run TestCliWrites::cli(const QStringList& args) const
{
    // In the test's folder: a file named "-" would appear here. An old binary opens a FIFO target
    // and blocks; that must fail the test, not hang it.
    test::CliEnv env = test::inFolder(m_dir.path());
    env.workingDirectory = m_dir.path();
    env.timeoutMs = 60000;
    return test::runCli(args, env);
}

void TestCliWrites::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // r.sqlite, sessions 1-3: RMSNorm rows 1, 16, 256 (dejavu); m.sqlite, sessions 1-2: matmul
    // M 1024 and 4096 (triton-cache, trial formats).
    for (const char* rows : {"1", "16", "256"}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"),
                           QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows%1_N4096").arg(QLatin1String(rows)), QStringLiteral("--db"),
                           path(QStringLiteral("r.sqlite")), QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    }
    for (const char* m : {"1024", "4096"}) {
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M%1_N%1_K%1").arg(QLatin1String(m)),
                           QStringLiteral("--db"), path(QStringLiteral("m.sqlite")), QStringLiteral("--strategy"), QStringLiteral("random"),
                           QStringLiteral("--budget"), QStringLiteral("40"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    }
    // moe.sqlite, sessions 1-2: a made-up fused MoE layer (E 8, N 14336, K 4096) at M 1024 and 4096
    // (vllm, bundles): vLLM's files are refused for any other kernel.
    for (int m : {1024, 4096}) {
        const QString file = writeMadeUpMoeDataset(path(QStringLiteral("moe_M%1.json").arg(m)), m, 8, 14336, 4096);
        QVERIFY(!file.isEmpty());
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), file, QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")),
                           QStringLiteral("--strategy"), QStringLiteral("random"), QStringLiteral("--budget"), QStringLiteral("40"), QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    }
    QVERIFY(writeFile(path(QStringLiteral("dejavu.json")), QJsonDocument(madeUpRmsnormDeployment()).toJson()));
    QVERIFY(writeFile(path(QStringLiteral("triton.json")),
                      QJsonDocument(QJsonObject{{QStringLiteral("triton_cache"), madeUpMatmulTritonCacheInputs()}}).toJson()));
    // An export tree and a bundle holding it, for the bundle cases.
    const Run v = cli({QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")), QStringLiteral("--format"),
                       QStringLiteral("vllm"), QStringLiteral("--experts"), QStringLiteral("8"), QStringLiteral("--n"), QStringLiteral("14336"),
                       QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--out"), path(QStringLiteral("vllm"))});
    QVERIFY2(v.exitCode == 0, qPrintable(v.describe()));
    const Run b = cli({QStringLiteral("bundle"), QStringLiteral("create"), QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")),
                       QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--kernel"), QStringLiteral("triton_fused_moe_fp16"), QStringLiteral("--export"),
                       QStringLiteral("vllm=") + path(QStringLiteral("vllm")), QStringLiteral("--out"), path(QStringLiteral("m.tar.gz"))});
    QVERIFY2(b.exitCode == 0, qPrintable(b.describe()));
}

// `export --out /dev/null` once replaced the device with a regular file (as root): a FIFO, a
// device node, a socket, a directory or a link at --out is refused, --force or not.
void TestCliWrites::trialFormatsRefuseHostileTargets_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("force");
    for (const QString& format : TrialExporter::formats()) {
        for (const char* kind : {"fifo", "char device", "socket", "directory", "link to a file", "dangling link"}) {
            for (bool force : {false, true})
                QTest::addRow("%s, %s%s", qPrintable(format), kind, force ? ", --force" : "") << format << QString::fromLatin1(kind) << force;
        }
    }
}

void TestCliWrites::trialFormatsRefuseHostileTargets()
{
    QFETCH(QString, format);
    QFETCH(QString, kind);
    QFETCH(bool, force);
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("out"));
    QString why;
    if (!makeNode(kind, target, why))
        QSKIP(qPrintable(why));
    const struct stat before = lstatOf(target);
    const QStringList entries = entriesBelow(dir.path());
    QStringList args{QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--format"), format,
                     QStringLiteral("--out"), target};
    if (force)
        args.append(QStringLiteral("--force"));
    const Run r = cli(args);
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains((target + QStringLiteral(": ")).toUtf8()) && r.err.contains("refusing"), qPrintable(r.describe()));
    QVERIFY(r.out.isEmpty());
    const struct stat after = lstatOf(target);
    QCOMPARE(after.st_mode, before.st_mode); // still a FIFO, a device, ...
    QCOMPARE(after.st_ino, before.st_ino);
    QCOMPARE(after.st_rdev, before.st_rdev);
    QCOMPARE(entriesBelow(dir.path()), entries); // nothing written next to it either
    if (kind == QLatin1String("link to a file"))
        QCOMPARE(readFile(target + QStringLiteral(".target")), QByteArray("the link's target\n"));
}

// docs/exports.md: an existing file with other content is replaced only with --force, an
// identical one is accepted. csv, kerneltuner and t4 used to overwrite silently.
void TestCliWrites::trialFormatsNeedForce_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("file");
    QTest::newRow("csv") << QStringLiteral("csv") << QStringLiteral("t.csv");
    QTest::newRow("csv.gz") << QStringLiteral("csv") << QStringLiteral("t.csv.gz");
    QTest::newRow("kerneltuner") << QStringLiteral("kerneltuner") << QStringLiteral("t.json");
    QTest::newRow("t4") << QStringLiteral("t4") << QStringLiteral("t4.json");
}

void TestCliWrites::trialFormatsNeedForce()
{
    QFETCH(QString, format);
    QFETCH(QString, file);
    QTemporaryDir dir;
    const QString target = dir.filePath(file);
    const QStringList args{QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--format"), format,
                           QStringLiteral("--session"), QStringLiteral("2"), QStringLiteral("--out"), target};
    QVERIFY(writeFile(target, "a colleague's notes\n"));
    const Run refused = cli(args);
    QVERIFY2(refused.exitCode == 2, qPrintable(refused.describe()));
    QVERIFY2(refused.err.contains((target + QStringLiteral(": exists with different content; pass --force to replace it")).toUtf8()),
             qPrintable(refused.describe()));
    QCOMPARE(readFile(target), QByteArray("a colleague's notes\n"));

    const Run forced = cli(args + QStringList{QStringLiteral("--force")});
    QVERIFY2(forced.exitCode == 0, qPrintable(forced.describe()));
    const QByteArray exported = readFile(target);
    QVERIFY(exported != "a colleague's notes\n");
    QCOMPARE(entriesBelow(dir.path()), QStringList{file}); // no temporary file left

    // The same export again: identical, accepted without --force and left as it is.
    const ino_t inode = lstatOf(target).st_ino;
    const Run again = cli(args);
    QVERIFY2(again.exitCode == 0, qPrintable(again.describe()));
    QCOMPARE(readFile(target), exported);
    QCOMPARE(lstatOf(target).st_ino, inode);
}

void TestCliWrites::missingDirectoryIsBadInput()
{
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("no/such/dir/out.csv"));
    const Run r = cli({QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--format"),
                       QStringLiteral("csv"), QStringLiteral("--out"), target});
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains(target.toUtf8()), qPrintable(r.describe()));
    QVERIFY(entriesBelow(dir.path()).isEmpty());
}

// `-` is standard output for the formats that stream; the deployment formats write trees.
void TestCliWrites::dashStreamsToStdout()
{
    QTemporaryDir dir;
    for (const QString& format : TrialExporter::formats()) {
        const QString file = dir.filePath(format);
        const QStringList args{QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--format"),
                               format, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--out")};
        const Run toFile = cli(args + QStringList{file});
        QVERIFY2(toFile.exitCode == 0, qPrintable(toFile.describe()));
        const Run toStdout = cli(args + QStringList{QStringLiteral("-")});
        QVERIFY2(toStdout.exitCode == 0, qPrintable(toStdout.describe()));
        QCOMPARE(toStdout.out, readFile(file));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("-"))));
    }
    const Run tree = cli({QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--format"),
                          QStringLiteral("dejavu"), QStringLiteral("--deployment"), path(QStringLiteral("dejavu.json")), QStringLiteral("--out"),
                          QStringLiteral("-")});
    QVERIFY2(tree.exitCode == 2, qPrintable(tree.describe()));
    QVERIFY2(tree.err.contains("dejavu writes a folder; only csv, kerneltuner, t4 stream to standard output (-)"), qPrintable(tree.describe()));
    QVERIFY(tree.out.isEmpty());
}

// The deployment formats write trees: --out that is no directory, a link on the way or a
// hostile node where a file goes is refused before the first file is written.
void TestCliWrites::deploymentFormatsRefuseHostileTargets_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("setup");    // "<kind> <path below the output root>", or "root <kind>"
    QTest::addColumn<QString>("expected"); // after "<root>/", or after "<root>" for "root"
    QTest::newRow("dejavu, --out a fifo") << QStringLiteral("dejavu") << QStringLiteral("root fifo")
                                          << QStringLiteral(": exists and is not a directory; refusing to write into it");
    QTest::newRow("dejavu, a link in the tree") << QStringLiteral("dejavu") << QStringLiteral("link dejavu_0.7")
                                                << QStringLiteral("/dejavu_0.7: is a symbolic link; refusing to write through it");
    QTest::newRow("vllm, --out a device") << QStringLiteral("vllm") << QStringLiteral("root char device")
                                          << QStringLiteral(": exists and is not a directory; refusing to write into it");
    QTest::newRow("vllm, a fifo at the file") << QStringLiteral("vllm") << QStringLiteral("fifo ") + kVllmName
                                              << QStringLiteral("/") + kVllmName + QStringLiteral(": is a FIFO (named pipe), not a regular file; refusing to write there");
    QTest::newRow("vllm, a link at the file") << QStringLiteral("vllm") << QStringLiteral("link ") + kVllmName
                                              << QStringLiteral("/") + kVllmName + QStringLiteral(": is a symbolic link; refusing to write through it");
    QTest::newRow("triton-cache, --out a socket") << QStringLiteral("triton-cache") << QStringLiteral("root socket")
                                                  << QStringLiteral(": exists and is not a directory; refusing to write into it");
}

void TestCliWrites::deploymentFormatsRefuseHostileTargets()
{
    QFETCH(QString, format);
    QFETCH(QString, setup);
    QFETCH(QString, expected);
    QTemporaryDir dir, elsewhere;
    const QString root = dir.filePath(QStringLiteral("out"));
    QString why;
    if (setup.startsWith(QLatin1String("root "))) {
        if (!makeNode(setup.mid(5), root, why))
            QSKIP(qPrintable(why));
    } else {
        QVERIFY(QDir().mkpath(root));
        const QString kind = setup.section(QLatin1Char(' '), 0, 0), rel = setup.section(QLatin1Char(' '), 1);
        if (kind == QLatin1String("link"))
            QVERIFY(QFile::link(elsewhere.path(), root + QLatin1Char('/') + rel));
        else if (!makeNode(kind, root + QLatin1Char('/') + rel, why))
            QSKIP(qPrintable(why));
    }
    const QStringList entries = entriesBelow(dir.path());
    const struct stat before = lstatOf(root);
    QStringList args{QStringLiteral("export"), QStringLiteral("--format"), format, QStringLiteral("--out"), root, QStringLiteral("--force")};
    if (format == QLatin1String("dejavu"))
        args += {QStringLiteral("--db"), path(QStringLiteral("r.sqlite")), QStringLiteral("--session"), QStringLiteral("1,2,3"),
                 QStringLiteral("--deployment"), path(QStringLiteral("dejavu.json"))};
    else if (format == QLatin1String("vllm"))
        args += {QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")), QStringLiteral("--session"), QStringLiteral("1,2"),
                 QStringLiteral("--experts"), QStringLiteral("8"), QStringLiteral("--n"), QStringLiteral("14336")};
    else
        args += {QStringLiteral("--db"), path(QStringLiteral("m.sqlite")), QStringLiteral("--session"), QStringLiteral("1,2"),
                 QStringLiteral("--deployment"), path(QStringLiteral("triton.json"))};
    const Run r = cli(args);
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains((root + expected).toUtf8()), qPrintable(r.describe()));
    QCOMPARE(entriesBelow(dir.path()), entries);
    QCOMPARE(lstatOf(root).st_mode, before.st_mode);
    QVERIFY(entriesBelow(elsewhere.path()).isEmpty()); // nothing written through the link
}

// Bundles: create and merge write one file, import writes the bundle's export files below
// --exports; each refuses a hostile target before writing anything (and import before it
// touches the database).
void TestCliWrites::bundlesRefuseHostileTargets_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected"); // after the target's path
    QTest::newRow("create, --out a fifo") << QStringLiteral("create") << QStringLiteral("fifo")
                                          << QStringLiteral(": is a FIFO (named pipe), not a regular file; refusing to write there");
    QTest::newRow("create, --out a device") << QStringLiteral("create") << QStringLiteral("char device")
                                            << QStringLiteral(": is a character device, not a regular file; refusing to write there");
    QTest::newRow("create, --out a link") << QStringLiteral("create") << QStringLiteral("dangling link")
                                          << QStringLiteral(": is a symbolic link; refusing to write through it");
    QTest::newRow("merge, --out a fifo") << QStringLiteral("merge") << QStringLiteral("fifo")
                                         << QStringLiteral(": is a FIFO (named pipe), not a regular file; refusing to write there");
    QTest::newRow("import, a fifo at an export file") << QStringLiteral("import") << QStringLiteral("fifo")
                                                      << QStringLiteral(": is a FIFO (named pipe), not a regular file; refusing to write there");
    QTest::newRow("import, a device at an export file") << QStringLiteral("import") << QStringLiteral("char device")
                                                        << QStringLiteral(": is a character device, not a regular file; refusing to write there");
}

void TestCliWrites::bundlesRefuseHostileTargets()
{
    QFETCH(QString, command);
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("import.sqlite"));
    QString target;
    QStringList args{QStringLiteral("bundle"), command, QStringLiteral("--force")};
    if (command == QLatin1String("import")) {
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("deploy/vllm"))));
        target = dir.filePath(QStringLiteral("deploy/vllm/") + kVllmName);
        args += {path(QStringLiteral("m.tar.gz")), QStringLiteral("--db"), db, QStringLiteral("--exports"), dir.filePath(QStringLiteral("deploy"))};
    } else {
        target = dir.filePath(QStringLiteral("b.tar.gz"));
        if (command == QLatin1String("create"))
            args += {QStringLiteral("--db"), path(QStringLiteral("moe.sqlite")), QStringLiteral("--session"), QStringLiteral("1,2"),
                     QStringLiteral("--kernel"), QStringLiteral("triton_fused_moe_fp16")};
        else
            args += {path(QStringLiteral("m.tar.gz")), path(QStringLiteral("m.tar.gz"))};
        args += {QStringLiteral("--out"), target};
    }
    QString why;
    if (!makeNode(kind, target, why))
        QSKIP(qPrintable(why));
    const QStringList entries = entriesBelow(dir.path());
    const struct stat before = lstatOf(target);
    const Run r = cli(args);
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains((target + expected).toUtf8()), qPrintable(r.describe()));
    QCOMPARE(lstatOf(target).st_mode, before.st_mode);
    QCOMPARE(lstatOf(target).st_rdev, before.st_rdev);
    QCOMPARE(entriesBelow(dir.path()), entries); // no bundle, no database, no other export file

    if (command == QLatin1String("create")) {
        const Run dash = cli({QStringLiteral("bundle"), QStringLiteral("create"), QStringLiteral("--db"), path(QStringLiteral("m.sqlite")),
                              QStringLiteral("--session"), QStringLiteral("1,2"), QStringLiteral("--kernel"), QStringLiteral("triton_matmul_fp16"),
                              QStringLiteral("--out"), QStringLiteral("-")});
        QVERIFY2(dash.exitCode == 2 && dash.err.contains("--out -: a bundle is written to a file"), qPrintable(dash.describe()));
    }
}

QTEST_GUILESS_MAIN(TestCliWrites)
#include "tst_cliwrites.moc"

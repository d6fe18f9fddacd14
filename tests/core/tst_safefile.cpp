// SafeFile: regular files only, atomically, never over other content without force. Hostile
// targets (FIFOs, device nodes, sockets, links) are made here, inside a QTemporaryDir.
#include "HostileFiles.h"
#include "SafeFile.h"
#include "TritonCacheExporter.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;
using namespace dv::test;

namespace {

// The fixture of tst_tritoncacheexporter (tests/data/triton-cache): a deployment and one entry.
TritonCacheDeployment tritonDeployment()
{
    QFile f(QStringLiteral(DEJAVU_TESTDATA_DIR "/triton-cache/fixture.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read the fixture");
    const QJsonObject fixture = QJsonDocument::fromJson(f.readAll()).object();
    auto d = TritonCacheDeployment::fromJson(QJsonDocument(fixture.value(QLatin1String("deployment")).toObject()).toJson(),
                                             QStringLiteral("fixture.json"));
    if (!d)
        qFatal("%s", qPrintable(d.error()));
    return d.value();
}

TritonCacheEntry tritonEntry(qint64 m, double ms)
{
    QFile f(QStringLiteral(DEJAVU_TESTDATA_DIR "/triton-cache/fixture.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read the fixture");
    const QJsonObject e = QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String("entry")).toObject();
    TritonCacheEntry out;
    out.keyValues = {m, 4096, 4096};
    out.config = e.value(QLatin1String("config")).toObject();
    out.measurement.status = Status::Ok;
    out.measurement.objectiveMs = ms;
    out.deviceName = QStringLiteral("NVIDIA H100 80GB HBM3");
    out.origin = QStringLiteral("session M=%1").arg(m);
    return out;
}

} // namespace

class TestSafeFile : public QObject {
    Q_OBJECT
private slots:
    // A FIFO, a device node, a socket, a directory or a link where the file is to go: refused
    // before anything is written, with or without force, and the node is still what it was.
    void refusesWhatIsNoRegularFile_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("force");
        QTest::addColumn<QString>("message");
        const struct {
            const char* kind;
            const char* message;
        } kinds[] = {{"fifo", "is a FIFO (named pipe), not a regular file; refusing to write there"},
                     {"char device", "is a character device, not a regular file; refusing to write there"},
                     {"socket", "is a socket, not a regular file; refusing to write there"},
                     {"directory", "is a directory, not a regular file; refusing to write there"},
                     {"link to a file", "is a symbolic link; refusing to write through it"},
                     {"dangling link", "is a symbolic link; refusing to write through it"}};
        for (const auto& k : kinds) {
            for (bool force : {false, true})
                QTest::addRow("%s%s", k.kind, force ? ", --force" : "") << QString::fromLatin1(k.kind) << force << QString::fromLatin1(k.message);
        }
    }
    void refusesWhatIsNoRegularFile()
    {
        QFETCH(QString, kind);
        QFETCH(bool, force);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("out.csv"));
        QString why;
        if (!makeNode(kind, path, why))
            QSKIP(qPrintable(why));
        const struct stat before = lstatOf(path);
        const QStringList entries = entriesBelow(dir.path());

        auto checked = SafeFile::check(path, "a,b\n1,2\n", force);
        QVERIFY(!checked);
        QCOMPARE(checked.error(), path + QStringLiteral(": ") + message);
        auto written = SafeFile::write(path, "a,b\n1,2\n", force);
        QVERIFY(!written);
        QCOMPARE(written.error(), path + QStringLiteral(": ") + message);
        QVERIFY(SafeFile::isRefusal(written.error()));

        // Still the same node (type, device number, inode), nothing else appeared.
        const struct stat after = lstatOf(path);
        QCOMPARE(after.st_mode, before.st_mode);
        QCOMPARE(after.st_ino, before.st_ino);
        QCOMPARE(after.st_rdev, before.st_rdev);
        QCOMPARE(entriesBelow(dir.path()), entries);
        if (kind == QLatin1String("link to a file"))
            QCOMPARE(readFile(path + QStringLiteral(".target")), QByteArray("the link's target\n"));
        if (kind == QLatin1String("dangling link"))
            QVERIFY(!QFileInfo::exists(path + QStringLiteral(".nowhere")));
    }

    void createsANewFileAtomically()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("new.json"));
        auto written = SafeFile::write(path, "{}\n", false);
        QVERIFY2(written, qPrintable(written.error()));
        QCOMPARE(written.value(), SafeFile::Plan::Create);
        QCOMPARE(readFile(path), QByteArray("{}\n"));
        QCOMPARE(entriesBelow(dir.path()), QStringList{QStringLiteral("new.json")}); // no temporary left
        // A plain new file: 0666 less the umask, as the shell or QFile would make it.
        const mode_t mask = ::umask(0);
        ::umask(mask);
        QCOMPARE(lstatOf(path).st_mode & 07777, 0666u & ~mask);
    }

    void identicalFileIsKept()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("same.csv"));
        QVERIFY(writeFile(path, "x\n"));
        const struct stat before = lstatOf(path);
        for (bool force : {false, true}) {
            auto written = SafeFile::write(path, "x\n", force);
            QVERIFY2(written, qPrintable(written.error()));
            QCOMPARE(written.value(), SafeFile::Plan::Keep);
            QCOMPARE(lstatOf(path).st_ino, before.st_ino); // untouched, not rewritten
        }
    }

    void differentFileNeedsForce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("other.csv"));
        QVERIFY(writeFile(path, "old\n"));
        QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup));
        auto refused = SafeFile::write(path, "new\n", false);
        QVERIFY(!refused);
        QCOMPARE(refused.error(), path + QStringLiteral(": exists with different content; pass --force to replace it"));
        QVERIFY(SafeFile::isRefusal(refused.error()));
        QCOMPARE(readFile(path), QByteArray("old\n"));

        const ino_t inode = lstatOf(path).st_ino;
        auto replaced = SafeFile::write(path, "new\n", true);
        QVERIFY2(replaced, qPrintable(replaced.error()));
        QCOMPARE(replaced.value(), SafeFile::Plan::Replace);
        QCOMPARE(readFile(path), QByteArray("new\n"));
        QVERIFY(lstatOf(path).st_ino != inode); // a new file renamed into place, not rewritten in place
        QCOMPARE(lstatOf(path).st_mode & 07777, mode_t(0640)); // the replaced file's mode is kept
        QCOMPARE(entriesBelow(dir.path()), QStringList{QStringLiteral("other.csv")});
    }

    // A typo in the directory must not create a tree: refused, nothing made.
    void missingDirectoryIsRefused()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("no/such/out.csv"));
        auto written = SafeFile::write(path, "x", true);
        QVERIFY(!written);
        QVERIFY2(written.error().startsWith(path + QStringLiteral(": cannot write: the directory ")), qPrintable(written.error()));
        QVERIFY(SafeFile::isRefusal(written.error()));
        QVERIFY(entriesBelow(dir.path()).isEmpty());
    }

    // A failure of the system (here: a name longer than the file system allows) is no refusal:
    // the CLI exits 1, not 2.
    void failureIsNoRefusal()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QString(300, QLatin1Char('n')));
        auto written = SafeFile::write(path, "x", false);
        QVERIFY(!written);
        QVERIFY2(written.error().startsWith(path + QStringLiteral(": cannot write: ")), qPrintable(written.error()));
        QVERIFY(!SafeFile::isRefusal(written.error()));
        QVERIFY(entriesBelow(dir.path()).isEmpty());
    }

    // Trees (dejavu, triton-cache, bundle exports): a link or a file where a directory is
    // expected is refused; directories still missing are fine.
    void checkBelow_data()
    {
        QTest::addColumn<QString>("setup");    // what is made below the root first
        QTest::addColumn<QString>("expected"); // "" for Create, else the refusal after "<root>/"
        QTest::newRow("nothing there") << QString() << QString();
        QTest::newRow("part of the way") << QStringLiteral("dir a") << QString();
        QTest::newRow("a link on the way") << QStringLiteral("link a") << QStringLiteral("a: is a symbolic link; refusing to write through it");
        QTest::newRow("a deeper link") << QStringLiteral("dir a,link a/b")
                                       << QStringLiteral("a/b: is a symbolic link; refusing to write through it");
        QTest::newRow("a file on the way") << QStringLiteral("file a")
                                           << QStringLiteral("a: exists and is not a directory; refusing to write into it");
        QTest::newRow("a fifo on the way") << QStringLiteral("fifo a")
                                           << QStringLiteral("a: exists and is not a directory; refusing to write into it");
        QTest::newRow("a fifo at the file") << QStringLiteral("dir a/b,fifo a/b/c.json")
                                            << QStringLiteral("a/b/c.json: is a FIFO (named pipe), not a regular file; refusing to write there");
    }
    void checkBelow()
    {
        QFETCH(QString, setup);
        QFETCH(QString, expected);
        QTemporaryDir root, elsewhere;
        for (const QString& step : setup.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString kind = step.section(QLatin1Char(' '), 0, 0), rel = step.section(QLatin1Char(' '), 1);
            const QString p = root.filePath(rel);
            if (kind == QLatin1String("dir"))
                QVERIFY(QDir().mkpath(p));
            else if (kind == QLatin1String("link"))
                QVERIFY(QFile::link(elsewhere.path(), p));
            else if (kind == QLatin1String("file"))
                QVERIFY(writeFile(p, "x"));
            else if (kind == QLatin1String("fifo"))
                QCOMPARE(::mkfifo(QFile::encodeName(p).constData(), 0644), 0);
        }
        auto plan = SafeFile::checkBelow(root.path(), QStringLiteral("a/b/c.json"), "{}", true);
        if (expected.isEmpty()) {
            QVERIFY2(plan, qPrintable(plan.error()));
            QCOMPARE(plan.value(), SafeFile::Plan::Create);
        } else {
            QVERIFY(!plan);
            QCOMPARE(plan.error(), QDir(root.path()).absolutePath() + QLatin1Char('/') + expected);
            QVERIFY(SafeFile::isRefusal(plan.error()));
        }
        QVERIFY(entriesBelow(elsewhere.path()).isEmpty());
    }

    void checkBelowRefusesARootThatIsNoDirectory()
    {
        QTemporaryDir dir;
        const QString root = dir.filePath(QStringLiteral("cache"));
        QCOMPARE(::mkfifo(QFile::encodeName(root).constData(), 0644), 0);
        auto plan = SafeFile::checkBelow(root, QStringLiteral("x/y.json"), "{}", false);
        QVERIFY(!plan);
        QCOMPARE(plan.error(), root + QStringLiteral(": exists and is not a directory; refusing to write into it"));
        QVERIFY(S_ISFIFO(lstatOf(root).st_mode));
    }

    // A writer of several files checks every target before the first is written: a FIFO where
    // the second Triton cache file goes leaves the first one unwritten too.
    void everyTargetIsCheckedBeforeTheFirstWrite()
    {
        QTemporaryDir dir;
        auto files = TritonCacheExporter::render(tritonDeployment(), {tritonEntry(256, 0.02), tritonEntry(1024, 0.05)});
        QVERIFY2(files, qPrintable(files.error()));
        QCOMPARE(files->size(), 2);
        const QString second = dir.filePath(files->at(1).relativePath());
        QVERIFY(QDir().mkpath(QFileInfo(second).absolutePath()));
        QCOMPARE(::mkfifo(QFile::encodeName(second).constData(), 0644), 0);
        const QStringList before = entriesBelow(dir.path());
        for (bool force : {false, true}) {
            auto written = TritonCacheExporter::write(files.value(), dir.path(), force);
            QVERIFY(!written);
            QCOMPARE(written.error(), second + QStringLiteral(": is a FIFO (named pipe), not a regular file; refusing to write there"));
            QCOMPARE(entriesBelow(dir.path()), before); // the first file's directory did not appear
            QVERIFY(S_ISFIFO(lstatOf(second).st_mode));
        }
        // A link where a cache directory goes is not written through either.
        QTemporaryDir clean, elsewhere;
        QVERIFY(QFile::link(elsewhere.path(), clean.filePath(files->at(0).directory)));
        auto linked = TritonCacheExporter::write(files.value(), clean.path(), true);
        QVERIFY(!linked);
        QVERIFY2(linked.error().endsWith(QStringLiteral(": is a symbolic link; refusing to write through it")), qPrintable(linked.error()));
        QVERIFY(entriesBelow(elsewhere.path()).isEmpty());
        QCOMPARE(entriesBelow(clean.path()), QStringList{files->at(0).directory});
    }
};

QTEST_GUILESS_MAIN(TestSafeFile)
#include "tst_safefile.moc"

#pragma once

// Runs the built dejavu-tune for the CLI tests (one runner for all of them): its exit, standard
// output and error, with HOME and XDG_DATA_HOME pointed into the test's temporary folder so that
// the default result database is never the user's own.

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace dv::test {

struct CliRun {
    int exitCode = -1; ///< -1: crashed, or did not start or finish in time
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QByteArray out;
    QByteArray err;

    QString outText() const { return QString::fromUtf8(out); }
    QString errText() const { return QString::fromUtf8(err); }
    QString describe() const
    {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3")
            .arg(exitCode)
            .arg(QString::fromUtf8(out.left(3000)), QString::fromUtf8(err.left(3000)));
    }
};

struct CliEnv {
    QString home;         ///< HOME, when given; XDG_DATA_HOME is then home/xdg-data unless xdgDataHome says
    QString xdgDataHome;
    QString workingDirectory;
    QString program = QStringLiteral(DEJAVU_TUNE_PATH);
    QStringList prefix;   ///< a program to run it under and its arguments (setpriv ...), program first
    int timeoutMs = 120000;
    QProcessEnvironment extra; ///< more variables, set last
};

/// HOME (and XDG_DATA_HOME, home/xdg-data unless given) inside a test's folder.
inline CliEnv inFolder(const QString& home, const QString& xdgDataHome = {})
{
    CliEnv e;
    e.home = home;
    e.xdgDataHome = xdgDataHome;
    return e;
}

inline CliRun runCli(const QStringList& args, const CliEnv& e = {})
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!e.home.isEmpty()) {
        env.insert(QStringLiteral("HOME"), e.home);
        env.insert(QStringLiteral("XDG_DATA_HOME"), e.home + QStringLiteral("/xdg-data"));
    }
    if (!e.xdgDataHome.isEmpty())
        env.insert(QStringLiteral("XDG_DATA_HOME"), e.xdgDataHome);
    for (const QString& key : e.extra.keys())
        env.insert(key, e.extra.value(key));
    p.setProcessEnvironment(env);
    if (!e.workingDirectory.isEmpty())
        p.setWorkingDirectory(e.workingDirectory);
    if (e.prefix.isEmpty())
        p.start(e.program, args);
    else
        p.start(e.prefix.front(), e.prefix.mid(1) + QStringList{e.program} + args);
    CliRun r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(e.timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.err = "did not run to the end: " + p.errorString().toUtf8();
        return r;
    }
    r.exitStatus = p.exitStatus();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace dv::test

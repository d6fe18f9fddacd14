#include "WorkerProcess.h"

#include "WorkerProtocol.h"

#include <QProcess>

#include <csignal>
#include <cstring>

#include <signal.h>
#include <unistd.h>

namespace dv {

namespace {

int remainingMs(const QDeadlineTimer& deadline)
{
    const qint64 ms = deadline.remainingTime();
    if (ms < 0)
        return -1; // forever
    return int(std::min<qint64>(ms, std::numeric_limits<int>::max()));
}

} // namespace

WorkerProcess::WorkerProcess(int stderrLines)
    : m_maxStderrLines(std::max(1, stderrLines))
{}

WorkerProcess::~WorkerProcess()
{
    kill();
}

Result<void> WorkerProcess::start(const QStringList& command, QDeadlineTimer deadline)
{
    if (command.isEmpty() || command.first().isEmpty())
        return Error{QStringLiteral("the worker command line is empty")};
    kill();
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(command.first());
    m_process->setArguments(command.mid(1));
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->setReadChannel(QProcess::StandardOutput);
    // A group of its own: a timeout kills the worker and everything it started, and a Ctrl-C
    // meant for the studio's terminal does not reach it (the engine ends it by closing stdin).
    m_process->setChildProcessModifier([] { ::setpgid(0, 0); });
    m_process->start(QIODevice::ReadWrite);
    if (!m_process->waitForStarted(std::max(1, remainingMs(deadline)))) {
        const QString why = m_process->errorString();
        m_process.reset();
        return Error{QStringLiteral("cannot start '%1': %2").arg(command.first(), why)};
    }
    m_pid = m_process->processId();
    m_stderrPartial.clear();
    m_stderrLines.clear();
    return {};
}

bool WorkerProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 WorkerProcess::pid() const
{
    return isRunning() ? m_pid : 0;
}

Result<void> WorkerProcess::write(const QByteArray& bytes, QDeadlineTimer deadline)
{
    if (!isRunning())
        return Error{QStringLiteral("the worker is not running")};
    if (m_process->write(bytes) != bytes.size())
        return Error{QStringLiteral("cannot write to the worker: ") + m_process->errorString()};
    while (m_process->bytesToWrite() > 0) {
        if (!m_process->waitForBytesWritten(std::max(1, remainingMs(deadline)))) {
            if (!isRunning())
                return Error{QStringLiteral("the worker ended while reading its request")};
            if (deadline.hasExpired())
                return Error{QStringLiteral("the worker did not read its request in time")};
        }
    }
    return {};
}

WorkerProcess::ReadOutcome WorkerProcess::readLine(QByteArray& line, QDeadlineTimer deadline)
{
    while (true) {
        drainStderr();
        if (m_process && m_process->canReadLine()) {
            line = m_process->readLine();
            while (!line.isEmpty() && (line.endsWith('\n') || line.endsWith('\r')))
                line.chop(1);
            if (line.trimmed().isEmpty())
                continue;
            return ReadOutcome::Line;
        }
        if (m_process && m_process->bytesAvailable() > WorkerProtocol::kMaxLineBytes)
            return ReadOutcome::TooLong;
        if (!isRunning())
            return ReadOutcome::Exited;
        if (deadline.hasExpired())
            return ReadOutcome::Timeout;
        m_process->waitForReadyRead(std::max(1, remainingMs(deadline)));
    }
}

void WorkerProcess::kill()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        if (m_pid > 0)
            ::kill(pid_t(-m_pid), SIGKILL);
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    drainStderr();
}

bool WorkerProcess::waitForExit(QDeadlineTimer deadline)
{
    if (!isRunning())
        return true;
    m_process->closeWriteChannel();
    const bool ended = m_process->waitForFinished(std::max(1, remainingMs(deadline)));
    drainStderr();
    return ended;
}

QString WorkerProcess::exitDescription() const
{
    if (!m_process)
        return QStringLiteral("was not started");
    if (m_process->state() != QProcess::NotRunning)
        return QStringLiteral("is still running");
    if (m_process->exitStatus() == QProcess::CrashExit) {
        // On Unix QProcess reports the terminating signal as the exit code of a crash.
        const int sig = m_process->exitCode();
        if (sig > 0 && sig < NSIG)
            return QStringLiteral("was killed by signal %1 (%2)").arg(sig).arg(QString::fromLocal8Bit(::strsignal(sig)));
        return QStringLiteral("crashed");
    }
    return QStringLiteral("exited with code %1").arg(m_process->exitCode());
}

QStringList WorkerProcess::lastStderrLines()
{
    drainStderr();
    QStringList lines = m_stderrLines;
    if (!m_stderrPartial.trimmed().isEmpty())
        lines.append(QString::fromUtf8(m_stderrPartial).trimmed());
    while (lines.size() > m_maxStderrLines)
        lines.removeFirst();
    return lines;
}

void WorkerProcess::drainStderr()
{
    if (!m_process)
        return;
    m_stderrPartial += m_process->readAllStandardError();
    qsizetype start = 0;
    for (qsizetype nl = m_stderrPartial.indexOf('\n'); nl >= 0; nl = m_stderrPartial.indexOf('\n', start)) {
        const QString text = QString::fromUtf8(m_stderrPartial.mid(start, nl - start)).trimmed();
        if (!text.isEmpty())
            m_stderrLines.append(text);
        start = nl + 1;
    }
    m_stderrPartial.remove(0, start);
    // A worker that never ends its stderr lines must not grow this buffer without bound.
    if (m_stderrPartial.size() > 64 * 1024)
        m_stderrPartial = m_stderrPartial.right(64 * 1024);
    while (m_stderrLines.size() > m_maxStderrLines)
        m_stderrLines.removeFirst();
}

} // namespace dv

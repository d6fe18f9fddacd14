#include "device/WorkerProcess.h"

#include "device/WorkerProtocol.h"

#include <QProcess>
#include <QProcessEnvironment>

#include <csignal>
#include <cstring>

#include <signal.h>
#include <sys/prctl.h>
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

// Waits are cut into slices this long: an interrupt is seen within one, and the worker's
// stderr (which QProcess buffers while it waits for stdout) is trimmed after each.
constexpr int kSliceMs = 20;

} // namespace

int WorkerProcess::sliceMs(const QDeadlineTimer& deadline) const
{
    const int left = remainingMs(deadline);
    return left < 0 ? kSliceMs : std::max(1, std::min(left, kSliceMs));
}

WorkerProcess::WorkerProcess(int stderrLines)
    : m_maxStderrLines(std::max(1, stderrLines))
{}

WorkerProcess::~WorkerProcess()
{
    kill();
}

Result<void> WorkerProcess::start(const QStringList& command, QDeadlineTimer deadline, const QStringList& environment)
{
    if (command.isEmpty() || command.first().isEmpty())
        return Error{QStringLiteral("the worker command line is empty")};
    kill();
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(command.first());
    m_process->setArguments(command.mid(1));
    if (!environment.isEmpty()) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString& pair : environment)
            env.insert(pair.section(QLatin1Char('='), 0, 0), pair.section(QLatin1Char('='), 1));
        m_process->setProcessEnvironment(env);
    }
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->setReadChannel(QProcess::StandardOutput);
    // A group of its own: a timeout kills the worker and everything it started, and a Ctrl-C
    // meant for the engine's terminal does not reach it (the engine decides when it ends).
    // If the engine dies without a chance to kill it (kill -9), the kernel kills the worker;
    // should the engine already be gone when the child runs this, the child gives up.
    const pid_t engine = ::getpid();
    m_process->setChildProcessModifier([engine] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != engine)
            ::_exit(127);
    });
    m_process->start(QIODevice::ReadWrite);
    if (!m_process->waitForStarted(std::max(1, remainingMs(deadline)))) {
        const QString why = m_process->errorString();
        m_process.reset();
        return Error{QStringLiteral("cannot start '%1': %2").arg(command.first(), why)};
    }
    m_pid = m_process->processId();
    m_group = m_pid;
    m_stdout.clear();
    m_stdoutScanned = 0;
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
        if (!m_process->waitForBytesWritten(sliceMs(deadline))) {
            drainStderr();
            if (!isRunning())
                return Error{QStringLiteral("the worker ended while reading its request")};
            if (interrupted())
                return Error{QStringLiteral("interrupted while the worker read its request")};
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
        // Bytes move to a buffer of our own, searched for '\n' only where it is new: a worker
        // writing without newlines costs linear time up to the limit, not quadratic.
        if (m_process) {
            m_stdout += m_process->readAllStandardOutput();
            const qsizetype nl = m_stdout.indexOf('\n', m_stdoutScanned);
            m_stdoutScanned = nl >= 0 ? 0 : m_stdout.size();
            if (nl >= 0) {
                line = m_stdout.left(nl);
                m_stdout.remove(0, nl + 1);
                while (line.endsWith('\r'))
                    line.chop(1);
                if (line.trimmed().isEmpty())
                    continue;
                return ReadOutcome::Line;
            }
        }
        if (m_stdout.size() > WorkerProtocol::kMaxLineBytes)
            return ReadOutcome::TooLong;
        if (!isRunning())
            return ReadOutcome::Exited;
        if (interrupted())
            return ReadOutcome::Interrupted;
        if (deadline.hasExpired())
            return ReadOutcome::Timeout;
        m_process->waitForReadyRead(sliceMs(deadline));
    }
}

void WorkerProcess::kill()
{
    if (!m_process)
        return;
    // The group outlives a worker that exited by itself while anything it started still runs.
    // Once only: a group that is gone leaves its number free for reuse.
    if (m_group > 0) {
        ::kill(pid_t(-m_group), SIGKILL);
        m_group = 0;
    }
    if (m_process->state() != QProcess::NotRunning) {
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
    while (!deadline.hasExpired() && !interrupted()) {
        if (m_process->waitForFinished(sliceMs(deadline)))
            break;
        drainStderr();
    }
    drainStderr();
    return !isRunning();
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

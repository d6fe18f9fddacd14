#pragma once

#include "Result.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QStringList>

#include <memory>

class QProcess;

namespace dv {

/// A worker process spoken to in lines over stdin/stdout, synchronously and with deadlines
/// (QProcess's waitFor* functions; no event loop needed). It keeps the last lines the process
/// wrote to stderr, which become the "last words" of a crashed trial.
///
/// The process runs in its own process group so that killing it also kills what it started (a
/// shell wrapper, a compiler). Use an object from one thread only: QProcess is a QObject.
class WorkerProcess {
public:
    enum class ReadOutcome {
        Line,     ///< a complete line (without its '\n')
        Timeout,  ///< the deadline passed; the process still runs
        Exited,   ///< the process ended before a complete line arrived
        TooLong,  ///< more than WorkerProtocol::kMaxLineBytes without a newline
    };

    explicit WorkerProcess(int stderrLines = 20);
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    /// Starts `command` (program followed by its arguments).
    Result<void> start(const QStringList& command, QDeadlineTimer deadline);
    bool isRunning() const;
    /// The local process id, 0 when not running.
    qint64 pid() const;

    /// Writes `bytes` and waits until they have been handed to the pipe.
    Result<void> write(const QByteArray& bytes, QDeadlineTimer deadline);
    /// Reads the next non-empty line.
    ReadOutcome readLine(QByteArray& line, QDeadlineTimer deadline);

    /// Kills the whole process group (SIGKILL) and reaps the process.
    void kill();
    /// Closes stdin and waits for the process to exit by itself; false if it is still running.
    bool waitForExit(QDeadlineTimer deadline);

    /// How the process ended: "exited with code 3", "was killed by signal 11 (Segmentation fault)".
    QString exitDescription() const;
    /// The last lines written to stderr (at most the number given to the constructor).
    QStringList lastStderrLines();

private:
    void drainStderr();

    std::unique_ptr<QProcess> m_process;
    qint64 m_pid = 0;
    int m_maxStderrLines;
    QByteArray m_stderrPartial;
    QStringList m_stderrLines;
};

} // namespace dv

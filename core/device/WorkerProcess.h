#pragma once

#include "base/Result.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QStringList>

#include <atomic>
#include <memory>

class QProcess;

namespace dv {

/// A worker process spoken to in lines over stdin/stdout, synchronously and with deadlines
/// (QProcess's waitFor* functions; no event loop needed). It keeps the last lines the process
/// wrote to stderr, which become the "last words" of a crashed trial.
///
/// The process runs in its own process group, and every kill (a timeout, a crash, the end of
/// this object) reaches the whole group, so that nothing it started (a shell wrapper, a
/// compiler, a child that outlives it) is left behind. Should the engine itself be killed
/// outright, the kernel kills the worker (PR_SET_PDEATHSIG); what the worker started then is
/// beyond reach. A process that leaves the group on purpose (setsid) is not followed.
/// Use an object from one thread only: QProcess is a QObject, and the parent-death signal is
/// tied to the thread that started the process.
class WorkerProcess {
public:
    enum class ReadOutcome {
        Line,        ///< a complete line (without its '\n')
        Timeout,     ///< the deadline passed; the process still runs
        Exited,      ///< the process ended before a complete line arrived
        TooLong,     ///< more than WorkerProtocol::kMaxLineBytes without a newline
        Interrupted, ///< the interrupt flag became true; the process still runs
    };

    explicit WorkerProcess(int stderrLines = 20);
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    /// Starts `command` (program followed by its arguments), with `environment` ("NAME=VALUE",
    /// e.g. CUDA_VISIBLE_DEVICES=3) added to this process's environment.
    Result<void> start(const QStringList& command, QDeadlineTimer deadline, const QStringList& environment = {});
    /// While `*flag` is true, waits end at once (Interrupted, or an error from write()); checked
    /// at least every 50 ms. Null: no interruption. The flag must outlive its use here.
    void setInterruptFlag(const std::atomic<bool>* flag) { m_interrupt = flag; }
    bool isRunning() const;
    /// The local process id, 0 when not running.
    qint64 pid() const;

    /// Writes `bytes` and waits until they have been handed to the pipe.
    Result<void> write(const QByteArray& bytes, QDeadlineTimer deadline);
    /// Reads the next non-empty line.
    ReadOutcome readLine(QByteArray& line, QDeadlineTimer deadline);

    /// Kills the whole process group (SIGKILL), also when the process itself has already ended
    /// (its children live on in the group), and reaps the process.
    void kill();
    /// Closes stdin and waits for the process to exit by itself; false if it is still running.
    bool waitForExit(QDeadlineTimer deadline);

    /// How the process ended: "exited with code 3", "was killed by signal 11 (Segmentation fault)".
    QString exitDescription() const;
    /// The last lines written to stderr (at most the number given to the constructor).
    QStringList lastStderrLines();

private:
    void drainStderr();
    bool interrupted() const { return m_interrupt && m_interrupt->load(); }
    /// How long one wait may block: the time left, in slices while interruption is possible.
    int sliceMs(const QDeadlineTimer& deadline) const;

    std::unique_ptr<QProcess> m_process;
    qint64 m_pid = 0;
    qint64 m_group = 0; ///< the process group to kill; 0 once it has been killed
    const std::atomic<bool>* m_interrupt = nullptr;
    int m_maxStderrLines;
    QByteArray m_stdout; ///< read from the worker, not yet returned as lines
    qsizetype m_stdoutScanned = 0; ///< m_stdout holds no '\n' before this
    QByteArray m_stderrPartial;
    QStringList m_stderrLines;
};

} // namespace dv

#pragma once

#include "device/Device.h"
#include "device/WorkerProtocol.h"

#include <QStringList>

#include <atomic>
#include <memory>

class QObject;
class QThread;

namespace dv {

class WorkerProcess;

/// How to start a worker and what to ask it for.
struct WorkerOptions {
    /// Program and arguments; may be prefixed ({"ssh", "gpu-host", "dejavu-cuda-worker"}).
    QStringList command;
    QString kernel;         ///< empty: the worker's default kernel
    QJsonObject problem;    ///< empty: the kernel's default problem
    int device = 0;         ///< index among the devices the worker announces
    /// The GPUs of a multi-GPU id ("gpus=0-3", "cuda:0,2"): one slot each (DeviceRegistry::openSlots),
    /// pinned with CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES; empty: no pinning.
    QList<int> gpus;
    /// How a slot is pinned to its GPU: the environment variable set to its index
    /// (CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES), or "device": the
    /// worker's device index (for a worker that sees every GPU). `gpu_env=` in a worker id.
    QString gpuPinning = QStringLiteral("CUDA_VISIBLE_DEVICES");
    QStringList environment; ///< "NAME=VALUE" added to the worker's environment
    QString id;             ///< DeviceInfo::id; empty: "<backend>:<device>"
    // Every wait on the worker has a deadline, named in the error when it passes; the worker's
    // whole process group is then killed. `timeout=S` in a device id sets all but the shutdown's.
    int startTimeoutMs = 120000; ///< starting the process and reading its hello (start_timeout=)
    int loadTimeoutMs = 120000;  ///< the answer to load (load_timeout=)
    int trialTimeoutMs = 60000;  ///< an evaluation (compile, verify, time); then `timeout`, the worker killed
    int shutdownTimeoutMs = 2000; ///< from `shutdown` to the exit; then killed
    /// While true (Ctrl-C), every wait gives up at once: opening fails, an evaluation in flight is
    /// abandoned (evaluationInterrupted()) and the worker killed. Must outlive the device.
    const std::atomic<bool>* interrupt = nullptr;
    WorkerProtocol::EvaluateOptions evaluate; ///< timing options sent with every evaluation
    int stderrLines = 20;   ///< how many of the worker's last stderr lines a crash reports
    /// How many upcoming configurations to announce with `prepare` when the worker offers it
    /// (capability "prepare"); 0 never sends `prepare`.
    int prepareAhead = 8;
};

/// A device backed by a worker process (CUDA, HIP, Triton or the test worker) that speaks the
/// protocol of docs/worker-protocol.md.
///
/// A worker that dies during a trial makes it `crashed` (its last stderr lines are the error
/// text); one that does not answer within the trial timeout is killed and the trial is
/// `timeout`; a malformed answer is `crashed` with the protocol error. In every case the next
/// evaluation starts a fresh worker (hello and load again), so a session goes on.
///
/// The worker process is driven from a private thread, so evaluate() may be called from any one
/// thread at a time (a session's thread) whichever thread opened the device; it blocks.
class WorkerDevice : public Device {
public:
    /// Starts the worker, reads its hello and loads the workload.
    static Result<std::unique_ptr<WorkerDevice>> open(WorkerOptions options);
    /// Parses a device id of the form documented in docs/worker-protocol.md:
    /// "worker:[kernel=NAME] [problem=JSON] [device=N] [gpus=LIST] [gpu_env=VARIABLE|device] [timeout=SECONDS] [start_timeout=SECONDS]
    /// [load_timeout=SECONDS] [prepare=N] COMMAND [ARGS...]" (LIST: "0-7", "0,2,3"),
    /// split like a POSIX shell line (quotes and backslashes; no expansion).
    static Result<WorkerOptions> optionsFromId(const QString& id);
    /// "0-7", "0,2,3", "1" -> GPU indices, in order; an error for anything else or a GPU named twice.
    static Result<QList<int>> parseGpuList(const QString& text);
    /// Asks the worker to shut down (killing it if it does not).
    ~WorkerDevice() override;

    DeviceInfo info() const override;
    const Workload& workload() const override;
    Measurement evaluate(const QJsonObject& config) override;
    bool evaluationInterrupted() const override { return m_evaluationInterrupted; }
    QString lostReason() const override { return m_lostReason; }
    /// WorkerOptions::prepareAhead when the worker announced the "prepare" capability, else 0.
    int prepareAhead() const override;
    /// Sends `prepare` with the configurations of the space among `configs` and waits only for
    /// the immediate `prepared`; a worker that fails it is restarted by the next evaluation.
    void prepare(const QVector<QJsonObject>& configs) override;
    /// Sets flush_l2 and graph of later evaluations; part of the toolchain text.
    Result<void> setTiming(const TimingOptions& timing) override;
    /// The last `prepare` that went wrong (empty when none did).
    QString lastPrepareError() const;
    /// How many `prepare` requests were answered `prepared`.
    int preparedRequests() const { return m_prepared; }

    const WorkerProtocol::Hello& hello() const { return m_hello; }
    const WorkerOptions& options() const { return m_options; }
    /// The answer to the first load (kernel, problem, identity, space, extra).
    const WorkerProtocol::Loaded& loaded() const { return m_loaded; }
    /// Local process id of the running worker; 0 while none runs (after a crash, until the next
    /// evaluation starts one).
    qint64 workerPid() const { return m_pid; }
    /// How many workers have been started (1 after open(), one more per restart).
    int workerStarts() const { return m_starts; }
    /// Changes the per-trial timeout of later evaluations.
    void setTrialTimeoutMs(int ms) { m_trialTimeoutMs = ms; }

private:
    explicit WorkerDevice(WorkerOptions options);
    template <typename F>
    void inWorkerThread(F&& function);
    Result<void> startWorker();
    Measurement evaluateHere(const QJsonObject& config);
    Measurement abandonWorker(Status status, const QString& what);
    bool interruptRequested() const { return m_options.interrupt && m_options.interrupt->load(); }
    void prepareHere(const QVector<QJsonObject>& configs);
    void shutdownHere();
    QString commandText() const;

    WorkerOptions m_options;
    std::unique_ptr<QThread> m_thread;
    QObject* m_context = nullptr;            // lives in m_thread; requests are queued to it
    std::unique_ptr<WorkerProcess> m_process; // used only in m_thread
    qint64 m_nextId = 1;
    std::atomic<qint64> m_pid{0};
    std::atomic<int> m_starts{0};
    std::atomic<int> m_trialTimeoutMs{0};
    std::atomic<int> m_prepared{0};
    std::atomic<bool> m_evaluationInterrupted{false};
    QString m_lostReason; // written in the worker thread, read after evaluate() returns
    QString m_prepareError; // written and read in m_thread

    WorkerProtocol::Hello m_hello;
    WorkerProtocol::Loaded m_loaded;
    DeviceInfo m_info;
    Workload m_workload;
};

} // namespace dv

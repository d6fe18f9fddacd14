#pragma once

#include "base/Gzip.h"
#include "base/Result.h"
#include "device/Device.h"
#include "device/ReplayDevice.h"

#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

namespace dv {

/// Names and opens devices: the recorded datasets built into the program
/// ("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"), any Kernel Tuner cache file by path
/// ("replay:/data/my.json.gz" or just the path), and GPU workers by command line.
///
/// Two ways in, because a device id read from a file (a result store, a bundle, a dataset) is
/// data (docs/worker-protocol.md, "Device ids from files"): open() may start a process and takes
/// only an id the user gave (on the command line, in the studio, or a stored one the user gave
/// again or confirmed); openRecorded() opens a recorded landscape and never starts anything,
/// whatever the id says, so everything that only reads stored sessions uses it.
class DeviceRegistry {
public:
    struct Entry {
        QString id;
        QString deviceName;
        QString kernel;
        QString problem;
        qint64 configurations = 0;
        QString description;
    };

    /// The ids of the built-in replay datasets, sorted.
    static QStringList builtinReplayIds();
    /// Every device that can be opened without further arguments, with a short description.
    static Result<QVector<Entry>> list();
    /// Opens a device by id or by path to a Kernel Tuner cache file. Besides "replay:" ids and
    /// "worker:COMMAND", the GPU workers of this build have short names:
    /// "cuda:N[/KERNEL] [OPTIONS] [WORKER ARGS...]" (dejavu-cuda-worker), "hip:N[/KERNEL] ..."
    /// (dejavu-hip-worker) and "triton:N[/KERNEL] ..." (python3 kernels/triton/dejavu_triton_worker.py),
    /// with the options of "worker:" (problem=JSON, timeout=SECONDS; docs/worker-protocol.md).
    /// `interrupt` (may be null) is handed to a worker: while true its waits give up (Ctrl-C).
    static Result<std::unique_ptr<Device>> open(const QString& id, const std::atomic<bool>* interrupt = nullptr);
    /// The device slots of one session: `count` (0: as many as the id names) devices the id names.
    /// A multi-GPU id ("triton:0-7/matmul", "cuda:0,2,3/gemm", "hip:0-3", "worker:gpus=0-3 CMD")
    /// opens one worker per GPU, each pinned to it (WorkerOptions::gpuPinning), all started at
    /// once; `count`, when given, must be the number of GPUs named. An id without a GPU list opens
    /// `count` copies: replays (each pausing its own latency: a CPU stand-in for K GPUs) or
    /// workers ("worker:" commands such as a Ray slot, each of which finds its own GPU); a named
    /// single GPU ("cuda:0") takes one slot only, since two slots on one GPU disturb each other's
    /// timing. Every slot is opened before this returns, or none (an error naming the slot).
    static Result<std::vector<std::unique_ptr<Device>>> openSlots(const QString& id, int count,
                                                                   const std::atomic<bool>* interrupt = nullptr);
    /// The recorded landscape a replay id names (a built-in dataset, or a regular file of at most
    /// kMaxDatasetBytes); any other id, a worker's above all, is refused without being run.
    static Result<std::unique_ptr<ReplayDevice>> openRecorded(const QString& id);
    /// Whether open(id) would start a process ("worker:...", "cuda:N...", "hip:N...", "triton:N...").
    static bool startsProcess(const QString& id);
    /// The largest dataset file read (a FIFO, a device or a huge file is refused before reading):
    /// the limit a compressed dataset may inflate to (kMaxInflatedBytes) holds for a plain one too.
    static constexpr qint64 kMaxDatasetBytes = kMaxInflatedBytes;
    /// The most slots one session may have (a host's GPUs, or a Ray cluster's share of them).
    static constexpr int kMaxSlots = 256;
    /// The named worker forms (cuda:0, hip:0, triton:0) whose worker this installation has,
    /// with the command each starts; nothing is started.
    static QVector<Entry> namedWorkers();
    /// The command line that starts the worker of `backend` (cuda, hip or triton): the
    /// environment variable DEJAVU_CUDA_WORKER / DEJAVU_HIP_WORKER / DEJAVU_TRITON_WORKER, else
    /// the worker next to this program or in its build tree, else on PATH (cuda, hip) or under
    /// kernels/triton of the current directory (triton). Empty when there is none.
    static QStringList workerCommand(const QString& backend);
    /// The licence notices of the shipped datasets (to be shown with them).
    static QString datasetNotices();
};

} // namespace dv

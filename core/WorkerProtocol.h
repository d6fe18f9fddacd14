#pragma once

#include "ConfigSpace.h"
#include "Measurement.h"
#include "Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QVector>

#include <atomic>
#include <limits>

namespace dv {

/// The JSON-lines protocol spoken between the engine and a GPU worker process over the
/// worker's stdin and stdout (docs/worker-protocol.md). Message names, field names, the
/// protocol version and the error codes are defined here once; the engine builds requests and
/// parses answers with these functions, and every malformed answer is an Error naming the
/// message and the field, never an exception or a crash.
namespace WorkerProtocol {

/// Bumped on any incompatible change; a worker announcing another version is refused.
constexpr int kVersion = 1;
/// Longest line either side has to accept (a space of many values, many samples).
constexpr qsizetype kMaxLineBytes = 64 * 1024 * 1024;

// Message types ("type" field).
inline constexpr QLatin1String kHello("hello");
inline constexpr QLatin1String kLoad("load");
inline constexpr QLatin1String kLoaded("loaded");
inline constexpr QLatin1String kEvaluate("evaluate");
inline constexpr QLatin1String kMeasurement("measurement");
inline constexpr QLatin1String kPrepare("prepare");
inline constexpr QLatin1String kPrepared("prepared");
inline constexpr QLatin1String kShutdown("shutdown");
inline constexpr QLatin1String kBye("bye");
inline constexpr QLatin1String kError("error");

// Error codes a worker answers with in an "error" message.
inline constexpr QLatin1String kBadRequest("bad_request");      ///< malformed request line or field
inline constexpr QLatin1String kUnsupported("unsupported");     ///< unknown request type
inline constexpr QLatin1String kUnknownKernel("unknown_kernel");
inline constexpr QLatin1String kBadProblem("bad_problem");
inline constexpr QLatin1String kNotLoaded("not_loaded");        ///< evaluate before a successful load
inline constexpr QLatin1String kInternal("internal");

// Capabilities a worker may list in its hello ("capabilities"); optional, so that a worker
// without them speaks the same protocol version.
inline constexpr QLatin1String kCanPrepare("prepare"); ///< answers `prepare` and compiles ahead

/// One GPU as a worker announces it.
struct GpuInfo {
    int index = 0;
    QString name;           ///< "NVIDIA H100 80GB HBM3"
    QString arch;           ///< "sm_90", "gfx942", "cpu"
    int multiprocessors = 0; ///< SMs (NVIDIA) or CUs (AMD)
    qint64 memoryBytes = 0;
    QJsonObject extra;      ///< anything else the backend knows (clocks, L2 size, PCI id, ...)
};

/// The worker's first line: who it is and what it can run on.
struct Hello {
    int protocol = kVersion;
    QString backend;        ///< "cuda", "hip", "triton", "test"
    qint64 pid = 0;
    QVector<GpuInfo> devices;
    /// Component -> version: "worker", "driver", "cuda", "ptxas", "nvrtc", "hip", "triton", "torch", ...
    QMap<QString, QString> versions;
    /// Optional features the worker offers (kCanPrepare, ...); unknown names are kept and ignored.
    QStringList capabilities;
    bool can(QLatin1String capability) const { return capabilities.contains(QString(capability)); }
};

/// What to load: a kernel (empty: the worker's default) and its problem parameters.
struct LoadRequest {
    qint64 id = 0;
    QString kernel;
    QJsonObject problem;
    int device = 0;
};

/// The answer to `load`.
struct Loaded {
    qint64 id = 0;
    QString kernel;
    QString problem;  ///< canonical text of the problem, as the worker normalised it
    QString identity; ///< changes whenever the kernel's source or build changes
    QJsonObject spaceJson;
    ConfigSpace space;
    QJsonObject extra; ///< optional backend facts ("deployment": what exporters need, ...)
};

/// How to time one configuration. Every field is always sent.
struct EvaluateOptions {
    int warmup = 3;           ///< untimed runs before timing
    int repetitions = 10;     ///< at least this many timed runs ...
    double minTimeMs = 100;   ///< ... and until this much GPU time is covered ...
    int maxRepetitions = 1000; ///< ... but never more than this
    bool flushL2 = true;      ///< flush the L2 cache before every timed run
    bool graph = false;       ///< time replays of a CUDA graph of many launches (launch-bound kernels); sent only when true
    double timeoutMs = 60000; ///< the engine kills the worker after this long; a hint to stop early
};

struct EvaluateRequest {
    qint64 id = 0;
    QJsonObject config;
    EvaluateOptions options;
};

/// Configurations the engine will evaluate soon; a worker with kCanPrepare compiles them ahead.
struct PrepareRequest {
    qint64 id = 0;
    QVector<QJsonObject> configs;
};

/// An "error" answer: the worker could not serve the request.
struct ErrorReply {
    qint64 id = 0; ///< 0 when the worker could not read the request's id
    QString code;
    QString message;
};

/// Any answer to a request, after the envelope ("type", "id") has been checked.
struct Reply {
    QString type;
    qint64 id = 0;
    QJsonObject body;
};

/// The JSON object as one protocol line (compact, terminated by '\n').
QByteArray encode(const QJsonObject& message);

QJsonObject helloMessage(const Hello& hello);
QJsonObject loadMessage(const LoadRequest& request);
QJsonObject loadedMessage(const Loaded& loaded);
QJsonObject evaluateMessage(const EvaluateRequest& request);
/// The answer to `evaluate` for `m`; p20/p80 are computed from the samples when `m` is ok.
QJsonObject measurementMessage(qint64 id, const Measurement& m);
QJsonObject prepareMessage(const PrepareRequest& request);
/// The answer to `prepare`: how many of the configurations were newly queued for compilation.
QJsonObject preparedMessage(qint64 id, int queued);
QJsonObject shutdownMessage(qint64 id);
QJsonObject byeMessage(qint64 id);
QJsonObject errorMessage(const ErrorReply& error);

/// A line as a JSON object with a string "type"; errors quote the start of the line.
Result<QJsonObject> parseLine(const QByteArray& line);
/// The worker's first line. Also refuses another protocol version.
Result<Hello> parseHello(const QByteArray& line);
/// An answer to request `expectedId`, of type `expectedType` or "error"; any other type or id
/// is an error. The body is then read with parseLoaded(), parseMeasurement() or parseError().
Result<Reply> parseReply(const QByteArray& line, qint64 expectedId, QLatin1String expectedType);
/// Enumerates the announced space within EnumerationLimits (a space too large to enumerate is
/// refused with the limit named), giving up when `interrupt` becomes true.
Result<Loaded> parseLoaded(const Reply& reply, const std::atomic<bool>* interrupt = nullptr);
/// The measurement; samples, p20/p80, registers, clock and temperature land in extra.
Result<Measurement> parseMeasurement(const Reply& reply);
Result<ErrorReply> parseError(const Reply& reply);
/// The number of configurations the worker queued (>= 0).
Result<int> parsePrepared(const Reply& reply);
/// Requests, as a worker (or a test) reads them.
Result<LoadRequest> parseLoad(const QJsonObject& message);
Result<EvaluateRequest> parseEvaluate(const QJsonObject& message);
Result<PrepareRequest> parsePrepare(const QJsonObject& message);

/// The `q`-quantile (0..1) of samples by linear interpolation (numpy's default); NaN when empty.
double quantile(QVector<double> samples, double q);
/// "driver 580.82, cuda 13.0, ptxas 13.0": the versions that make measurements comparable, in a
/// fixed order (well-known components first, then the rest by name).
QString toolchainText(const QString& backend, const QMap<QString, QString>& versions);

} // namespace WorkerProtocol
} // namespace dv

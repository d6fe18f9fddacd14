#include "device/WorkerProtocol.h"

#include "base/JsonUtil.h"
#include "base/Statistics.h"
#include "device/WorkerFieldReader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace dv::WorkerProtocol {

namespace {

QString str(QLatin1String s) { return QString(s); }

using Reader = FieldReader;

QString quoted(const QByteArray& line)
{
    QString text = QString::fromUtf8(line.left(80));
    if (line.size() > 80)
        text += QStringLiteral("...");
    return QLatin1Char('"') + text + QLatin1Char('"');
}

qint64 readId(Reader& r, QLatin1String type)
{
    // An error about a request whose id could not be read carries "id": null.
    if (type == kError && !r.has(QLatin1String("id")))
        return 0;
    return r.integer(QLatin1String("id"), Need::Required, 1);
}

QJsonObject envelope(QLatin1String type, qint64 id)
{
    return QJsonObject{{QStringLiteral("type"), str(type)}, {QStringLiteral("id"), id}};
}

} // namespace

QByteArray encode(const QJsonObject& message)
{
    return QJsonDocument(message).toJson(QJsonDocument::Compact) + '\n';
}

QJsonObject helloMessage(const Hello& hello)
{
    QJsonArray devices;
    for (const GpuInfo& d : hello.devices) {
        QJsonObject o{{QStringLiteral("index"), d.index},
                      {QStringLiteral("name"), d.name},
                      {QStringLiteral("arch"), d.arch},
                      {QStringLiteral("multiprocessors"), d.multiprocessors},
                      {QStringLiteral("memory_bytes"), d.memoryBytes}};
        if (!d.extra.isEmpty())
            o.insert(QStringLiteral("extra"), d.extra);
        devices.append(o);
    }
    QJsonObject versions;
    for (auto it = hello.versions.begin(); it != hello.versions.end(); ++it)
        versions.insert(it.key(), it.value());
    QJsonObject o{{QStringLiteral("type"), str(kHello)},
                  {QStringLiteral("protocol"), hello.protocol},
                  {QStringLiteral("backend"), hello.backend},
                  {QStringLiteral("pid"), hello.pid},
                  {QStringLiteral("devices"), devices},
                  {QStringLiteral("versions"), versions}};
    if (!hello.capabilities.isEmpty())
        o.insert(QStringLiteral("capabilities"), QJsonArray::fromStringList(hello.capabilities));
    return o;
}

QJsonObject loadMessage(const LoadRequest& request)
{
    QJsonObject o = envelope(kLoad, request.id);
    if (!request.kernel.isEmpty())
        o.insert(QStringLiteral("kernel"), request.kernel);
    o.insert(QStringLiteral("problem"), request.problem);
    o.insert(QStringLiteral("device"), request.device);
    return o;
}

QJsonObject loadedMessage(const Loaded& loaded)
{
    QJsonObject o = envelope(kLoaded, loaded.id);
    o.insert(QStringLiteral("kernel"), loaded.kernel);
    o.insert(QStringLiteral("problem"), loaded.problem);
    o.insert(QStringLiteral("identity"), loaded.identity);
    o.insert(QStringLiteral("space"), loaded.spaceJson.isEmpty() ? loaded.space.toJson() : loaded.spaceJson);
    if (!loaded.extra.isEmpty())
        o.insert(QStringLiteral("extra"), loaded.extra);
    return o;
}

QJsonObject evaluateMessage(const EvaluateRequest& request)
{
    const EvaluateOptions& opt = request.options;
    QJsonObject o = envelope(kEvaluate, request.id);
    o.insert(QStringLiteral("config"), request.config);
    QJsonObject options{{QStringLiteral("warmup"), opt.warmup},
                        {QStringLiteral("repetitions"), opt.repetitions},
                        {QStringLiteral("min_time_ms"), opt.minTimeMs},
                        {QStringLiteral("max_repetitions"), opt.maxRepetitions},
                        {QStringLiteral("flush_l2"), opt.flushL2},
                        {QStringLiteral("timeout_ms"), opt.timeoutMs}};
    // Sent only when asked for, so that a worker written before graph timing existed still
    // reads every ordinary request.
    if (opt.graph)
        options.insert(QStringLiteral("graph"), true);
    o.insert(QStringLiteral("options"), options);
    return o;
}

QJsonObject measurementMessage(qint64 id, const Measurement& m)
{
    QJsonObject o = envelope(kMeasurement, id);
    o.insert(QStringLiteral("status"), statusName(m.status));
    QJsonArray samples;
    for (double s : m.samplesMs)
        samples.append(s);
    o.insert(QStringLiteral("samples_ms"), samples);
    if (m.status == Status::Ok) {
        o.insert(QStringLiteral("objective_ms"), m.objectiveMs);
        o.insert(QStringLiteral("p20_ms"), quantile(m.samplesMs, 0.2));
        o.insert(QStringLiteral("p80_ms"), quantile(m.samplesMs, 0.8));
    } else {
        o.insert(QStringLiteral("error"), m.error);
    }
    if (std::isfinite(m.compileTimeMs))
        o.insert(QStringLiteral("compile_ms"), m.compileTimeMs);
    for (const char* key : {"registers", "shared_memory_bytes", "clock_mhz", "temperature_c"}) {
        const QString k = QString::fromLatin1(key);
        if (m.extra.contains(k))
            o.insert(k, m.extra.value(k));
    }
    return o;
}

QJsonObject prepareMessage(const PrepareRequest& request)
{
    QJsonObject o = envelope(kPrepare, request.id);
    QJsonArray configs;
    for (const QJsonObject& c : request.configs)
        configs.append(c);
    o.insert(QStringLiteral("configs"), configs);
    return o;
}

QJsonObject preparedMessage(qint64 id, int queued)
{
    QJsonObject o = envelope(kPrepared, id);
    o.insert(QStringLiteral("queued"), queued);
    return o;
}

QJsonObject shutdownMessage(qint64 id) { return envelope(kShutdown, id); }
QJsonObject byeMessage(qint64 id) { return envelope(kBye, id); }

QJsonObject errorMessage(const ErrorReply& error)
{
    QJsonObject o = envelope(kError, error.id);
    if (error.id <= 0)
        o.insert(QStringLiteral("id"), QJsonValue::Null);
    o.insert(QStringLiteral("code"), error.code);
    o.insert(QStringLiteral("message"), error.message);
    return o;
}

Result<QJsonObject> parseLine(const QByteArray& line)
{
    if (line.size() > kMaxLineBytes)
        return Error{QStringLiteral("line of %1 bytes exceeds the limit of %2 bytes").arg(line.size()).arg(kMaxLineBytes)};
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError)
        return Error{QStringLiteral("not JSON (%1 at column %2): %3")
                         .arg(error.errorString()).arg(std::max(1, error.offset)).arg(quoted(line))};
    if (!doc.isObject())
        return Error{QStringLiteral("expected a JSON object, got %1").arg(quoted(line))};
    const QJsonObject o = doc.object();
    const QJsonValue type = o.value(QLatin1String("type"));
    if (type.isUndefined())
        return Error{QStringLiteral("message without a 'type' field: %1").arg(quoted(line))};
    if (!type.isString())
        return Error{QStringLiteral("message 'type' must be a string, got %1").arg(jsonText(type))};
    return o;
}

Result<Hello> parseHello(const QByteArray& line)
{
    auto parsed = parseLine(line);
    if (!parsed)
        return Error{QStringLiteral("expected a hello message: ") + parsed.error()};
    const QJsonObject& o = parsed.value();
    const QString type = o.value(QLatin1String("type")).toString();
    if (type != kHello)
        return Error{QStringLiteral("expected a hello message first, got a '%1' message").arg(type)};
    Reader r(o, str(kHello));
    r.has(QLatin1String("type"));
    Hello h;
    h.protocol = int(r.integer(QLatin1String("protocol"), Need::Required, 1));
    if (!r.failed() && h.protocol != kVersion)
        return Error{QStringLiteral("the worker speaks protocol version %1; this program speaks version %2")
                         .arg(h.protocol).arg(kVersion)};
    h.backend = r.string(QLatin1String("backend"), Need::Required, false);
    h.pid = r.integer(QLatin1String("pid"), Need::Required, 1);
    const QJsonArray devices = r.array(QLatin1String("devices"));
    const QJsonObject versions = r.object(QLatin1String("versions"));
    const QJsonArray capabilities = r.array(QLatin1String("capabilities"), Need::Optional);
    r.finish();
    if (r.failed())
        return Error{r.error()};
    for (int i = 0; i < capabilities.size(); ++i) {
        if (!capabilities[i].isString() || capabilities[i].toString().isEmpty())
            return Error{QStringLiteral("hello.capabilities[%1]: expected a non-empty string, got %2").arg(i).arg(jsonText(capabilities[i]))};
        h.capabilities.append(capabilities[i].toString());
    }
    if (devices.isEmpty())
        return Error{QStringLiteral("hello.devices: the worker announces no device")};
    for (int i = 0; i < devices.size(); ++i) {
        const QString where = QStringLiteral("hello.devices[%1]").arg(i);
        if (!devices[i].isObject())
            return Error{where + QStringLiteral(": expected an object, got ") + jsonText(devices[i])};
        Reader d(devices[i].toObject(), where);
        GpuInfo g;
        g.index = int(d.integer(QLatin1String("index"), Need::Required, 0));
        g.name = d.string(QLatin1String("name"), Need::Required, false);
        g.arch = d.string(QLatin1String("arch"), Need::Required, false);
        g.multiprocessors = int(d.integer(QLatin1String("multiprocessors"), Need::Required, 0));
        g.memoryBytes = d.integer(QLatin1String("memory_bytes"), Need::Required, 0);
        g.extra = d.object(QLatin1String("extra"), Need::Optional);
        d.finish();
        if (d.failed())
            return Error{d.error()};
        h.devices.append(g);
    }
    for (auto it = versions.begin(); it != versions.end(); ++it) {
        if (!it.value().isString())
            return Error{QStringLiteral("hello.versions.%1: expected a string, got %2").arg(it.key(), jsonText(it.value()))};
        h.versions.insert(it.key(), it.value().toString());
    }
    return h;
}

Result<Reply> parseReply(const QByteArray& line, qint64 expectedId, QLatin1String expectedType)
{
    auto parsed = parseLine(line);
    if (!parsed)
        return Error{parsed.error()};
    const QJsonObject& o = parsed.value();
    Reply reply;
    reply.type = o.value(QLatin1String("type")).toString();
    if (reply.type != expectedType && reply.type != kError)
        return Error{QStringLiteral("expected a '%1' or 'error' message, got a '%2' message").arg(str(expectedType), reply.type)};
    Reader r(o, reply.type);
    reply.id = readId(r, QLatin1String(reply.type == kError ? kError : expectedType));
    if (r.failed())
        return Error{r.error()};
    if (reply.id != expectedId && !(reply.type == kError && reply.id == 0))
        return Error{QStringLiteral("%1: answers request %2, but request %3 is waiting").arg(reply.type).arg(reply.id).arg(expectedId)};
    reply.body = o;
    reply.body.remove(QStringLiteral("type"));
    reply.body.remove(QStringLiteral("id"));
    return reply;
}

Result<Loaded> parseLoaded(const Reply& reply, const std::atomic<bool>* interrupt)
{
    Reader r(reply.body, str(kLoaded));
    Loaded l;
    l.id = reply.id;
    l.kernel = r.string(QLatin1String("kernel"), Need::Required, false);
    l.problem = r.string(QLatin1String("problem"));
    l.identity = r.string(QLatin1String("identity"), Need::Required, false);
    l.spaceJson = r.object(QLatin1String("space"));
    l.extra = r.object(QLatin1String("extra"), Need::Optional);
    r.finish();
    if (r.failed())
        return Error{r.error()};
    auto space = ConfigSpace::fromJson(QJsonDocument(l.spaceJson).toJson(), QStringLiteral("loaded.space"), interrupt);
    if (!space)
        return Error{space.error()};
    if (space->size() == 0)
        return Error{QStringLiteral("loaded.space: no valid configuration")};
    l.space = space.value();
    return l;
}

Result<Measurement> parseMeasurement(const Reply& reply)
{
    Reader r(reply.body, str(kMeasurement));
    Measurement m;
    const QString statusText = r.string(QLatin1String("status"));
    const auto status = statusFromName(statusText);
    if (!r.failed() && !status) {
        QStringList names;
        for (Status s : kAllStatuses)
            names.append(statusName(s));
        r.fail(QStringLiteral("status"), QStringLiteral("unknown status '%1' (expected %2)").arg(statusText, names.join(QStringLiteral(", "))));
    }
    m.status = status.value_or(Status::Invalid);
    const bool ok = m.status == Status::Ok;
    const QJsonArray samples = r.array(QLatin1String("samples_ms"));
    for (int i = 0; i < samples.size() && !r.failed(); ++i)
        m.samplesMs.append(r.checkNumber(QStringLiteral("samples_ms[%1]").arg(i), samples[i], 0));
    const Need ifOk = ok ? Need::Required : Need::Optional;
    const double objective = r.number(QLatin1String("objective_ms"), ifOk, 0);
    const double p20 = r.number(QLatin1String("p20_ms"), ifOk, 0);
    const double p80 = r.number(QLatin1String("p80_ms"), ifOk, 0);
    m.compileTimeMs = r.number(QLatin1String("compile_ms"), Need::Optional, 0);
    m.error = r.string(QLatin1String("error"), ok ? Need::Optional : Need::Required, ok);
    const bool hasRegisters = r.has(QLatin1String("registers"));
    const qint64 registers = r.integer(QLatin1String("registers"), Need::Optional, 0);
    const bool hasShared = r.has(QLatin1String("shared_memory_bytes"));
    const qint64 shared = r.integer(QLatin1String("shared_memory_bytes"), Need::Optional, 0);
    const double clock = r.number(QLatin1String("clock_mhz"), Need::Optional, 0);
    const double temperature = r.number(QLatin1String("temperature_c"), Need::Optional, -273.15);
    const QJsonObject extra = r.object(QLatin1String("extra"), Need::Optional);
    r.finish();
    if (r.failed())
        return Error{r.error()};
    if (ok) {
        if (m.samplesMs.isEmpty())
            return Error{QStringLiteral("measurement.samples_ms: an 'ok' measurement needs at least one sample")};
        if (objective <= 0)
            return Error{QStringLiteral("measurement.objective_ms: must be > 0 for an 'ok' measurement, got %1").arg(objective)};
        if (!(p20 <= objective && objective <= p80))
            return Error{QStringLiteral("measurement: expected p20_ms <= objective_ms <= p80_ms, got %1, %2, %3")
                             .arg(p20).arg(objective).arg(p80)};
        // Every worker computes its summary from its samples; one that does not (a bug, or a
        // worker that lies) would store a best its own samples contradict, and the store, the
        // exports and a re-read of this line would disagree about the configuration's time.
        const auto disagrees = [](double reported, double computed) {
            return !(std::abs(reported - computed) <= 1e-6 * std::max(std::abs(computed), 1e-300));
        };
        const struct { const char* field; double reported; double q; } summary[] = {
            {"objective_ms", objective, 0.5}, {"p20_ms", p20, 0.2}, {"p80_ms", p80, 0.8}};
        for (const auto& s : summary) {
            const double computed = quantile(m.samplesMs, s.q);
            if (disagrees(s.reported, computed))
                return Error{QStringLiteral("measurement.%1: %2 is not the %3 of samples_ms (%4)")
                                 .arg(QLatin1String(s.field))
                                 .arg(s.reported)
                                 .arg(s.q == 0.5 ? QStringLiteral("median") : QStringLiteral("%1th percentile").arg(int(s.q * 100)))
                                 .arg(computed)};
        }
        m.objectiveMs = objective;
    } else if (std::isfinite(objective)) {
        return Error{QStringLiteral("measurement.objective_ms: only an 'ok' measurement has an objective (status is '%1')").arg(statusText)};
    }
    m.extra = extra;
    if (ok) {
        m.extra.insert(QStringLiteral("p20_ms"), p20);
        m.extra.insert(QStringLiteral("p80_ms"), p80);
    }
    if (hasRegisters)
        m.extra.insert(QStringLiteral("registers"), registers);
    if (hasShared)
        m.extra.insert(QStringLiteral("shared_memory_bytes"), shared);
    if (std::isfinite(clock))
        m.extra.insert(QStringLiteral("clock_mhz"), clock);
    if (std::isfinite(temperature))
        m.extra.insert(QStringLiteral("temperature_c"), temperature);
    return m;
}

Result<ErrorReply> parseError(const Reply& reply)
{
    Reader r(reply.body, str(kError));
    ErrorReply e;
    e.id = reply.id;
    e.code = r.string(QLatin1String("code"), Need::Required, false);
    e.message = r.string(QLatin1String("message"), Need::Required, false);
    r.finish();
    if (r.failed())
        return Error{r.error()};
    return e;
}

Result<int> parsePrepared(const Reply& reply)
{
    Reader r(reply.body, str(kPrepared));
    const qint64 queued = r.integer(QLatin1String("queued"), Need::Required, 0);
    r.finish();
    if (r.failed())
        return Error{r.error()};
    return int(std::min<qint64>(queued, std::numeric_limits<int>::max()));
}

Result<PrepareRequest> parsePrepare(const QJsonObject& message)
{
    Reader r(message, str(kPrepare));
    r.has(QLatin1String("type"));
    PrepareRequest p;
    p.id = r.integer(QLatin1String("id"), Need::Required, 1);
    const QJsonArray configs = r.array(QLatin1String("configs"));
    r.finish();
    if (r.failed())
        return Error{r.error()};
    for (int i = 0; i < configs.size(); ++i) {
        if (!configs[i].isObject())
            return Error{QStringLiteral("prepare.configs[%1]: expected an object, got %2").arg(i).arg(jsonText(configs[i]))};
        p.configs.append(configs[i].toObject());
    }
    return p;
}

Result<LoadRequest> parseLoad(const QJsonObject& message)
{
    Reader r(message, str(kLoad));
    r.has(QLatin1String("type"));
    LoadRequest l;
    l.id = r.integer(QLatin1String("id"), Need::Required, 1);
    l.kernel = r.string(QLatin1String("kernel"), Need::Optional);
    l.problem = r.object(QLatin1String("problem"));
    l.device = int(r.integer(QLatin1String("device"), Need::Optional, 0));
    r.finish();
    if (r.failed())
        return Error{r.error()};
    return l;
}

Result<EvaluateRequest> parseEvaluate(const QJsonObject& message)
{
    Reader r(message, str(kEvaluate));
    r.has(QLatin1String("type"));
    EvaluateRequest e;
    e.id = r.integer(QLatin1String("id"), Need::Required, 1);
    e.config = r.object(QLatin1String("config"));
    const QJsonObject options = r.object(QLatin1String("options"));
    r.finish();
    if (r.failed())
        return Error{r.error()};
    Reader o(options, QStringLiteral("evaluate.options"));
    EvaluateOptions& opt = e.options;
    opt.warmup = int(o.integer(QLatin1String("warmup"), Need::Required, 0));
    opt.repetitions = int(o.integer(QLatin1String("repetitions"), Need::Required, 1));
    opt.minTimeMs = o.number(QLatin1String("min_time_ms"), Need::Required, 0);
    opt.maxRepetitions = int(o.integer(QLatin1String("max_repetitions"), Need::Required, 1));
    opt.flushL2 = o.boolean(QLatin1String("flush_l2"));
    opt.graph = o.boolean(QLatin1String("graph"), Need::Optional, false);
    opt.timeoutMs = o.number(QLatin1String("timeout_ms"), Need::Required, 0);
    o.finish();
    if (o.failed())
        return Error{o.error()};
    if (opt.maxRepetitions < opt.repetitions)
        return Error{QStringLiteral("evaluate.options.max_repetitions: %1 is less than repetitions (%2)")
                         .arg(opt.maxRepetitions).arg(opt.repetitions)};
    return e;
}

QString toolchainText(const QString& backend, const QMap<QString, QString>& versions)
{
    static const QStringList kOrder{QStringLiteral("worker"), QStringLiteral("driver"), QStringLiteral("cuda"),
                                    QStringLiteral("nvrtc"), QStringLiteral("ptxas"), QStringLiteral("hip"),
                                    QStringLiteral("triton"), QStringLiteral("torch"), QStringLiteral("python")};
    QStringList parts{backend};
    for (const QString& key : kOrder) {
        if (versions.contains(key))
            parts.append(key + QLatin1Char(' ') + versions.value(key));
    }
    for (auto it = versions.begin(); it != versions.end(); ++it) {
        if (!kOrder.contains(it.key()))
            parts.append(it.key() + QLatin1Char(' ') + it.value());
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace dv::WorkerProtocol

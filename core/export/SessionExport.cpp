#include "export/SessionExport.h"

#include "base/JsonUtil.h"
#include "base/SafeFile.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "export/DejavuExporter.h"
#include "export/SglangConfigExporter.h"
#include "export/TrialExporter.h"
#include "export/TritonCacheSharing.h"
#include "export/TuningLadder.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>

#include <optional>

namespace dv {

namespace {
const QString kDejavu = QStringLiteral("dejavu");
const QString kVllm = QStringLiteral("vllm");
const QString kTritonCache = QStringLiteral("triton-cache");
const QString kSglang = QStringLiteral("sglang");
/// vLLM and sglang: one fused-MoE layer's file, entries by batch size M.
bool isMoeFormat(const QString& format) { return format == kVllm || format == kSglang; }
} // namespace

QStringList SessionExport::trialFormats() { return TrialExporter::formats(); }
QStringList SessionExport::deploymentFormats() { return {kDejavu, kVllm, kSglang, kTritonCache}; }
QStringList SessionExport::formats() { return trialFormats() + deploymentFormats(); }
bool SessionExport::isDeploymentFormat(const QString& format) { return deploymentFormats().contains(format); }
bool SessionExport::needsDeployment(const QString& format) { return format == kDejavu || format == kTritonCache; }

QString SessionExportSummary::text() const
{
    if (!SessionExport::isDeploymentFormat(format))
        return QStringLiteral("wrote %1 trials of session %2 to %3\n").arg(trials).arg(sessionIds.value(0)).arg(written);
    QString t;
    for (const QString& f : files)
        t += f + QLatin1Char('\n');
    t += QStringLiteral("wrote %1 tuned keys from %2 sessions to %3\n").arg(keys).arg(sessionIds.size()).arg(written);
    t += QStringLiteral("coverage (%1):\n%2").arg(coverageLookup, coverage);
    return t;
}

SessionExport::SessionExport(SessionExportOptions options)
    : m_options(std::move(options))
{
}

Error SessionExport::bad(const QString& message)
{
    m_failure = Failure::BadInput;
    return Error{message};
}

Error SessionExport::failed(const QString& message)
{
    m_failure = Failure::Failed;
    return Error{message};
}

Result<void> SessionExport::readDeployment(QByteArray bytes, const QString& source)
{
    if (m_options.format == kTritonCache) {
        auto d = TritonCacheDeployment::fromJson(bytes, source);
        if (!d)
            return bad(d.error());
        m_triton = d.value();
    } else {
        // deployment.py prints the dejavu values under "dejavu"; a hand-written file is the object itself.
        const QJsonObject whole = QJsonDocument::fromJson(bytes).object();
        if (whole.value(QLatin1String("dejavu")).isObject())
            bytes = QJsonDocument(whole.value(QLatin1String("dejavu")).toObject()).toJson();
        auto d = DejavuDeployment::fromJson(bytes, source);
        if (!d)
            return bad(d.error());
        m_dejavu = d.value();
    }
    m_haveDeployment = true;
    m_deploymentSource = source;
    return {};
}

Result<void> SessionExport::prepare()
{
    m_prepared = true;
    const QString& format = m_options.format;
    if (!formats().contains(format))
        return bad(QStringLiteral("unknown export format '%1' (known: %2)").arg(format, formats().join(QStringLiteral(", "))));
    if (m_options.out.isEmpty())
        return bad(QStringLiteral("no output path given"));
    if (isDeploymentFormat(format) && SafeFile::isStdout(m_options.out))
        return bad(QStringLiteral("%1 writes a folder; only %2 stream to standard output (-)").arg(format, trialFormats().join(QStringLiteral(", "))));
    if (!isDeploymentFormat(format) && m_options.sessionIds.size() > 1)
        return bad(QStringLiteral("%1 exports one session; %2 are selected").arg(format).arg(m_options.sessionIds.size()));
    if (isMoeFormat(format)) {
        if (m_options.vllm.experts < 1 || m_options.vllm.n < 1)
            return bad(QStringLiteral("%1: the number of experts E and the size N must be given").arg(format));
        if (m_options.keyPosition < 0)
            return bad(QStringLiteral("%1: the key position must be >= 0").arg(format));
        // The file's name (dtype, block shape) is checked before any session is compared with it.
        VllmMoeTarget named = m_options.vllm;
        if (named.deviceName.isEmpty())
            named.deviceName = QStringLiteral("GPU");
        if (auto name = format == kVllm ? VllmConfigExporter::fileName(named) : SglangConfigExporter::fileName(named); !name)
            return bad(name.error());
        if (format == kSglang && !named.tritonVersion.isEmpty())
            if (auto folder = SglangConfigExporter::versionFolder(named.tritonVersion); !folder)
                return bad(folder.error());
    }
    if (needsDeployment(format) && !m_options.deploymentFile.isEmpty()) {
        QFile f(m_options.deploymentFile);
        if (!f.open(QIODevice::ReadOnly))
            return bad(QStringLiteral("%1: cannot read: %2").arg(m_options.deploymentFile, f.errorString()));
        if (auto read = readDeployment(f.readAll(), m_options.deploymentFile); !read)
            return read;
    }
    return {};
}

Result<SessionExportSummary> SessionExport::run(ResultStore& store)
{
    m_failure = Failure::None;
    if (!m_prepared) {
        if (auto ok = prepare(); !ok)
            return Error{ok.error()};
    }
    const bool deploy = isDeploymentFormat(m_options.format);
    QVector<qint64> ids = m_options.sessionIds;
    if (ids.isEmpty()) {
        auto list = store.sessions();
        if (!list || list->isEmpty())
            return bad(list ? QStringLiteral("%1: the database holds no session").arg(store.path()) : list.error());
        const SessionRecord& newest = list->first();
        for (const SessionRecord& s : list.value())
            if (s.id == newest.id || (deploy && s.kernel == newest.kernel && s.device.name == newest.device.name))
                ids.prepend(s.id); // oldest first
    }
    if (needsDeployment(m_options.format) && !m_haveDeployment) {
        // What the Triton worker reported when the first session loaded its kernel.
        auto record = store.session(ids.first());
        const QJsonValue stored = record ? record->device.details.value(QLatin1String("deployment")) : QJsonValue();
        if (!stored.isObject())
            return bad(QStringLiteral("%1 needs a deployment file (--deployment): session %2 holds no deployment values (the Triton worker "
                                      "stores them with its sessions; kernels/triton/deployment.py prints them; docs/exports.md)")
                           .arg(m_options.format).arg(ids.first()));
        if (auto read = readDeployment(QJsonDocument(stored.toObject()).toJson(), QStringLiteral("session %1: deployment").arg(ids.first())); !read)
            return Error{read.error()};
    }
    if (!deploy)
        return exportTrials(store, ids.first());
    return exportLadder(store, ids);
}

Result<std::pair<SessionRecord, QVector<Trial>>> SessionExport::load(ResultStore& store, qint64 id)
{
    auto record = store.session(id);
    if (!record)
        return bad(record.error());
    auto trials = store.trials(id);
    if (!trials)
        return failed(trials.error());
    return std::make_pair(std::move(record.value()), std::move(trials.value()));
}

Result<SessionExportSummary> SessionExport::exportTrials(ResultStore& store, qint64 id)
{
    auto loaded = load(store, id);
    if (!loaded)
        return Error{loaded.error()};
    const auto& [record, trials] = loaded.value();
    auto written = TrialExporter::write(m_options.format, record, trials, m_options.out, m_options.force);
    if (!written)
        return SafeFile::isRefusal(written.error()) ? bad(written.error()) : failed(written.error());
    SessionExportSummary s;
    s.format = m_options.format;
    s.sessionIds = {id};
    s.written = m_options.out;
    s.trials = int(trials.size());
    return s;
}

Result<QString> SessionExport::writeLadder(const TuningLadder& ladder, const LadderKeys& keys, SessionExportSummary& summary)
{
    const QString& format = m_options.format;
    const auto rungs = ladder.rungs();
    const QMap<qint64, QStringList>& keyValues = keys.keyValues;
    const QMap<qint64, QVector<qint64>>& tritonKeys = keys.tritonKeys;
    const QMap<qint64, QString>& deviceOf = keys.deviceOf;
    Result<QString> written = Error{QString()};
    if (format == kDejavu) {
        QVector<DejavuEntry> entries;
        for (const LadderRung& r : rungs)
            entries.append(DejavuEntry{keyValues.value(r.key), {}, r.config, r.measurement, deviceOf.value(r.key), r.benchSeconds, r.origin});
        auto file = DejavuExporter::render(m_dejavu, entries);
        if (!file)
            return bad(QStringLiteral("%1: %2").arg(m_deploymentSource, file.error()));
        m_warnings += file->warnings;
        summary.warnings = file->warnings;
        written = DejavuExporter::write(file.value(), m_options.out, m_options.force);
    } else if (format == kTritonCache) {
        QVector<TritonCacheEntry> entries;
        for (const LadderRung& r : rungs)
            entries.append(TritonCacheEntry{tritonKeys.value(r.key), r.config, r.measurement, deviceOf.value(r.key), r.origin});
        auto files = TritonCacheExporter::render(m_triton, entries);
        if (!files)
            return bad(QStringLiteral("%1: %2").arg(m_deploymentSource, files.error()));
        auto paths = TritonCacheExporter::write(files.value(), m_options.out, m_options.force);
        if (!paths) {
            written = Error{paths.error()};
        } else {
            written = m_options.out;
            for (const TritonCacheFile& f : files.value())
                summary.files.append(QStringLiteral("%1: %2 -> %3").arg(f.tuningKey, f.configString, f.relativePath()));
        }
    } else {
        VllmMoeTarget target = m_options.vllm;
        if (target.deviceName.isEmpty())
            target.deviceName = ladder.deviceName();
        if (format == kSglang)
            target.tritonVersion = m_sglangTriton;
        QVector<VllmEntry> entries;
        for (const LadderRung& r : rungs)
            entries.append(VllmEntry{r.key, r.config, r.measurement, deviceOf.value(r.key), r.origin});
        auto json = format == kVllm ? VllmConfigExporter::render(target, entries) : SglangConfigExporter::render(target, entries);
        if (!json)
            return bad(json.error());
        written = format == kVllm ? VllmConfigExporter::write(target, entries, m_options.out, m_options.force)
                                  : SglangConfigExporter::write(target, entries, m_options.out, m_options.force);
    }
    if (!written) {
        // An existing different file, a device or a link in the way is a refusal (nothing
        // written), not a failure.
        if (SafeFile::isRefusal(written.error()))
            return bad(written.error());
        return failed(written.error());
    }
    return written;
}

Result<void> SessionExport::sglangTriton(const SessionRecord& record, const QString& origin)
{
    // sglang keeps one folder per Triton version: every session must have run on the one the
    // folder names. A replay records none; then --triton-version must say it.
    const QString recorded = SglangConfigExporter::tritonVersionOf(record.device.toolchain);
    if (recorded.isEmpty()) {
        if (m_sglangTriton.isEmpty())
            return bad(QStringLiteral("%1: sglang keeps one config folder per Triton version, and this session's toolchain ('%2') "
                                      "records none; give the deployment's with --triton-version")
                           .arg(origin, clip(record.device.toolchain)));
        return {};
    }
    if (!m_sglangTriton.isEmpty() && m_sglangTriton != recorded)
        return bad(QStringLiteral("%1 ran on Triton %2, but %3 %4: sglang looks entries up in the folder of its own Triton version; "
                                  "export the sessions of each version separately")
                       .arg(origin, clip(recorded),
                            m_sglangTritonFrom.isEmpty() ? QStringLiteral("--triton-version is") : m_sglangTritonFrom + QStringLiteral(" ran on"),
                            clip(m_sglangTriton)));
    m_sglangTriton = recorded;
    m_sglangTritonFrom = origin;
    return {};
}

Result<SessionExportSummary> SessionExport::exportLadder(ResultStore& store, const QVector<qint64>& ids)
{
    const QString& format = m_options.format;
    // One ladder rung per problem key: the fastest ok, verified trial over the sessions of that key.
    m_sglangTriton = m_options.vllm.tritonVersion;
    m_sglangTritonFrom.clear();
    TuningLadder ladder;
    LadderKeys keys;
    QMap<qint64, QStringList>& keyValues = keys.keyValues;
    QMap<qint64, QVector<qint64>>& tritonKeys = keys.tritonKeys;
    QMap<qint64, QString>& deviceOf = keys.deviceOf;
    QMap<QString, std::pair<QString, qint64>> problemOf; // key values -> the first session's problem and id
    std::optional<VllmMoeProblem> layer;                 // vllm: the layer every session must have tuned
    for (qint64 id : ids) {
        auto loaded = load(store, id);
        if (!loaded)
            return Error{loaded.error()};
        const SessionRecord& record = loaded.value().first;
        const QVector<Trial>& trials = loaded.value().second;
        const QString origin = QStringLiteral("session %1 (%2, problem %3)").arg(id).arg(clip(record.kernel), clip(record.problem));
        if (isMoeFormat(format)) {
            // vLLM's (and sglang's) file is for one fused-MoE layer: each session must be that kernel, with the
            // file's E and N, and all of them the same K, topk and dtype (only M varies).
            auto moe = VllmConfigExporter::moeProblem(record.kernel, record.problem);
            if (!moe)
                return bad(QStringLiteral("%1: %2").arg(origin, moe.error()));
            if (auto fits = format == kVllm ? VllmConfigExporter::checkLayer(m_options.vllm, moe.value())
                                            : SglangConfigExporter::checkLayer(m_options.vllm, moe.value());
                !fits)
                return bad(QStringLiteral("%1: %2").arg(origin, fits.error()));
            if (layer && (layer->k != moe->k || layer->topk != moe->topk || layer->dtype != moe->dtype))
                return bad(QStringLiteral("%1: K=%2, topk=%3, dtype %4, but the first session tuned K=%5, topk=%6, dtype %7; one file holds one layer")
                               .arg(origin).arg(moe->k).arg(moe->topk).arg(clip(moe->dtype)).arg(layer->k).arg(layer->topk).arg(clip(layer->dtype)));
            layer = moe.value();
            if (format == kSglang) {
                if (auto recorded = sglangTriton(record, origin); !recorded)
                    return Error{recorded.error()};
            }
        }
        QStringList values;
        const QVector<int> positions = format == kDejavu ? m_dejavu.keyFromProblem
                                       : format == kTritonCache ? m_triton.keyFromProblem
                                                                : QVector<int>{m_options.keyPosition};
        for (int pos : positions) {
            auto v = TuningLadder::problemValue(record.problem, pos);
            if (!v)
                return bad(QStringLiteral("%1: %2").arg(origin, v.error()));
            values.append(QString::number(v.value()));
        }
        if (values.isEmpty())
            return bad(QStringLiteral("%1: key_from_problem is empty").arg(m_deploymentSource));
        // Exact-key consumers look a problem up by its key alone: two problems with one key would
        // silently share one entry (RMSNorm's Triton key is N, the row count is the grid).
        const QString keyText = values.join(QStringLiteral(", "));
        if (const auto other = problemOf.constFind(keyText); other != problemOf.cend() && other->first != record.problem) {
            const QStringList names = format == kDejavu ? m_dejavu.keys : format == kTritonCache ? m_triton.keyNames : QStringList{QStringLiteral("M")};
            const QString consumer = format == kDejavu ? QStringLiteral("triton-dejavu") : format == kTritonCache ? QStringLiteral("Triton's autotuner")
                                   : format == kSglang ? QStringLiteral("sglang") : QStringLiteral("vLLM");
            return bad(QStringLiteral("%1 and session %2 (problem %3) give the same key (%4) = (%5): %6 cannot tell the two problems apart; "
                                      "export one of them")
                           .arg(origin).arg(other->second).arg(clip(other->first), names.join(QStringLiteral(", ")), keyText, consumer));
        }
        problemOf.insert(keyText, {record.problem, id});
        if (format == kTritonCache) {
            // The ladder runs along the first key argument; sessions of one first value must agree
            // on the others (else they are different keys that one ladder rung cannot hold).
            QVector<qint64> all;
            for (const QString& v : values)
                all.append(v.toLongLong());
            if (tritonKeys.contains(all.first()) && tritonKeys.value(all.first()) != all)
                return bad(QStringLiteral("%1: %2 = %3 was also tuned with other values of %4; export those sessions separately")
                               .arg(origin, m_triton.keyNames.value(0)).arg(all.first()).arg(m_triton.keyNames.mid(1).join(QStringLiteral(", "))));
            tritonKeys.insert(all.first(), all);
            values = values.mid(0, 1);
        } else if (positions.size() > 1) {
            return bad(QStringLiteral("%1: key_from_problem: exports from the result store support one key value per session; "
                                      "the other key arguments go in as dtypes or constants").arg(m_dejavu.keys.join(QStringLiteral(", "))));
        }
        const qint64 key = values.first().toLongLong();
        auto added = ladder.addTrials(key, trials, record.device.name, origin, record.elapsedMs / 1000.0);
        if (!added)
            return bad(added.error());
        keyValues.insert(key, values);
        deviceOf.insert(key, record.device.name);
        if (!keys.kernelProblem.contains(key))
            keys.kernelProblem.insert(key, {record.kernel, record.problem});
        // A replayed session has its whole landscape at hand: the coverage then says what each
        // tuned entry costs against the key's true best. The stored id is data: openRecorded()
        // reads a recorded landscape or nothing, and never starts a worker the store names.
        if (record.device.backend == QLatin1String("replay")) {
            if (auto replay = DeviceRegistry::openRecorded(record.device.id))
                ladder.addLandscape(key, Landscape::fromCache(replay.value()->cache(), record.device.id));
        }
    }
    const auto rungs = ladder.rungs();
    if (rungs.isEmpty())
        return bad(QStringLiteral("no tuned key to export"));
    SessionExportSummary summary;
    summary.format = format;
    summary.sessionIds = ids;
    summary.keys = int(rungs.size());
    auto written = writeLadder(ladder, keys, summary);
    if (!written)
        return Error{written.error()};
    summary.written = written.value();
    if (format == kTritonCache) {
        // Written, and usable as it is; but GPUs of the same architecture will use it too.
        QVector<SharedCacheEntry> shared;
        for (const LadderRung& r : rungs)
            shared.append(SharedCacheEntry{r.key, keys.kernelProblem.value(r.key).first, keys.kernelProblem.value(r.key).second, r.config});
        const QStringList sharing = TritonCacheSharing::warnings(store, ladder.deviceName(), shared);
        m_warnings += sharing;
        summary.warnings += sharing;
    }
    // Triton's cache, like dejavu, only answers exact keys; vLLM and sglang take the nearest M.
    const auto lookup = isMoeFormat(format) ? TuningLadder::Lookup::Nearest : TuningLadder::Lookup::Exact;
    summary.coverageLookup = isMoeFormat(format) ? QStringLiteral("nearest M") : QStringLiteral("exact key");
    summary.coverage = TuningLadder::coverageTable(ladder.coverage(TuningLadder::powersOfTwo(1, rungs.last().key), lookup));
    return summary;
}

} // namespace dv

// `dejavu-tune export`: writes a session's trials (csv, kerneltuner) or a ladder of sessions
// in the formats deployments load (dejavu, vllm).
#include "Cli.h"

#include "CliSupport.h"
#include "DejavuExporter.h"
#include "DeviceRegistry.h"
#include "ReplayDevice.h"
#include "ResultStore.h"
#include "TrialExporter.h"
#include "TritonCacheExporter.h"
#include "TuningLadder.h"
#include "VllmConfigExporter.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace dv {

using namespace cli;

int Cli::exportTrials(const QStringList& args)
{
    const QStringList deployFormats{QStringLiteral("dejavu"), QStringLiteral("vllm"), QStringLiteral("triton-cache")};
    const QStringList allFormats = TrialExporter::formats() + deployFormats;
    QCommandLineParser p;
    p.addOption({QStringLiteral("db"), QStringLiteral("Result database."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("format"), QStringLiteral("%1 (docs/exports.md).").arg(allFormats.join(QStringLiteral(", "))), QStringLiteral("FORMAT")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Output file (.gz compresses); for dejavu, vllm and triton-cache the directory to write into "
                                                       "(triton-cache: the deployment's TRITON_CACHE_DIR)."), QStringLiteral("PATH")});
    p.addOption({QStringLiteral("session"), QStringLiteral("Session id (default: the newest). dejavu and vllm: repeat it for each problem key "
                                                           "or give a list 1,2,3 (default: every session of the newest session's kernel and GPU)."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("deployment"), QStringLiteral("dejavu, triton-cache: the Python-side values, as kernels/triton/deployment.py prints them (docs/exports.md)."), QStringLiteral("FILE.json")});
    p.addOption({QStringLiteral("experts"), QStringLiteral("vllm: number of experts E."), QStringLiteral("E")});
    p.addOption({QStringLiteral("n"), QStringLiteral("vllm: intermediate size per shard N."), QStringLiteral("N")});
    p.addOption({QStringLiteral("dtype"), QStringLiteral("vllm: fp8_w8a8, int8_w8a16, ... (none for fp16/bf16)."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("block-shape"), QStringLiteral("vllm: block quantisation shape, e.g. 128,128."), QStringLiteral("N,K")});
    p.addOption({QStringLiteral("device-name"), QStringLiteral("vllm: GPU name (default: the sessions' GPU)."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("triton-version"), QStringLiteral("vllm: recorded as triton_version."), QStringLiteral("V")});
    p.addOption({QStringLiteral("key-position"), QStringLiteral("vllm: position of M in the session problem (default 0)."), QStringLiteral("POS")});
    p.addOption({QStringLiteral("force"), QStringLiteral("dejavu, vllm: replace an existing file with different content.")});
    if (!parse(p, args, QStringLiteral("Write the trials of a session, or a deployment's tuned configs.")))
        return kBadInput;
    for (const char* required : {"db", "format", "out"}) {
        if (!p.isSet(QLatin1String(required))) {
            err(QStringLiteral("--%1 is required").arg(QLatin1String(required)));
            return kBadInput;
        }
    }
    const QString format = p.value(QStringLiteral("format"));
    if (!allFormats.contains(format)) {
        err(QStringLiteral("--format: unknown format '%1' (known: %2)").arg(format, allFormats.join(QStringLiteral(", "))));
        return kBadInput;
    }
    const bool deploy = deployFormats.contains(format);
    QList<qint64> ids;
    for (const QString& v : p.values(QStringLiteral("session")).join(QLatin1Char(',')).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = v.toLongLong(&ok);
        if (!ok || id < 1) {
            err(QStringLiteral("--session: expected an integer >= 1, got '%1'").arg(v));
            return kBadInput;
        }
        ids.append(id);
    }
    if (!deploy && ids.size() > 1) {
        err(QStringLiteral("--session: %1 exports one session").arg(format));
        return kBadInput;
    }
    // Inputs of the deployment formats are read before the database is touched.
    DejavuDeployment deployment;
    TritonCacheDeployment tritonDeployment;
    VllmMoeTarget target;
    qint64 keyPosition = 0;
    // The Python-side values: --deployment, else what the Triton worker reported when the first
    // session loaded its kernel (stored with the session's device details).
    auto readDeployment = [&](QByteArray bytes, const QString& path) -> bool {
        if (format == QLatin1String("triton-cache")) {
            auto d = TritonCacheDeployment::fromJson(bytes, path);
            if (!d) {
                err(d.error());
                return false;
            }
            tritonDeployment = d.value();
        } else {
            // deployment.py prints the dejavu values under "dejavu"; a hand-written file is the object itself.
            const QJsonObject whole = QJsonDocument::fromJson(bytes).object();
            if (whole.value(QLatin1String("dejavu")).isObject())
                bytes = QJsonDocument(whole.value(QLatin1String("dejavu")).toObject()).toJson();
            auto d = DejavuDeployment::fromJson(bytes, path);
            if (!d) {
                err(d.error());
                return false;
            }
            deployment = d.value();
        }
        return true;
    };
    const bool needsDeployment = format == QLatin1String("dejavu") || format == QLatin1String("triton-cache");
    if (needsDeployment && p.isSet(QStringLiteral("deployment"))) {
        const QString path = p.value(QStringLiteral("deployment"));
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            err(QStringLiteral("%1: cannot read: %2").arg(path, f.errorString()));
            return kBadInput;
        }
        if (!readDeployment(f.readAll(), path))
            return kBadInput;
    } else if (format == QLatin1String("vllm")) {
        qint64 e = 0, n = 0;
        if (!intOption(p, QStringLiteral("experts"), 1, e) || !intOption(p, QStringLiteral("n"), 1, n)
            || !intOption(p, QStringLiteral("key-position"), 0, keyPosition))
            return kBadInput;
        if (e == 0 || n == 0) {
            err(QStringLiteral("--experts and --n are required for --format vllm"));
            return kBadInput;
        }
        target.experts = int(e);
        target.n = int(n);
        target.dtype = p.value(QStringLiteral("dtype"));
        target.tritonVersion = p.value(QStringLiteral("triton-version"));
        if (p.isSet(QStringLiteral("block-shape"))) {
            for (const QString& part : p.value(QStringLiteral("block-shape")).split(QLatin1Char(','))) {
                bool ok = false;
                target.blockShape.append(part.trimmed().toInt(&ok));
                if (!ok) {
                    err(QStringLiteral("--block-shape: expected N,K (two integers), got '%1'").arg(p.value(QStringLiteral("block-shape"))));
                    return kBadInput;
                }
            }
        }
    }
    const QString db = p.value(QStringLiteral("db"));
    auto store = openExistingStore(db);
    if (!store)
        return kBadInput;
    if (ids.isEmpty()) {
        auto list = store->sessions();
        if (!list || list->isEmpty()) {
            err(list ? QStringLiteral("%1: the database holds no session").arg(db) : list.error());
            return kBadInput;
        }
        const SessionRecord& newest = list->first();
        for (const SessionRecord& s : list.value())
            if (s.id == newest.id || (deploy && s.kernel == newest.kernel && s.device.name == newest.device.name))
                ids.prepend(s.id); // oldest first
    }
    if (needsDeployment && !p.isSet(QStringLiteral("deployment"))) {
        auto record = store->session(ids.first());
        const QJsonValue stored = record ? record->device.details.value(QLatin1String("deployment")) : QJsonValue();
        if (!stored.isObject()) {
            err(QStringLiteral("--deployment is required for --format %1: session %2 holds no deployment values (the Triton worker "
                               "reports them when kernels/triton/deployment.py runs; docs/exports.md)").arg(format).arg(ids.first()));
            return kBadInput;
        }
        if (!readDeployment(QJsonDocument(stored.toObject()).toJson(), QStringLiteral("session %1: deployment").arg(ids.first())))
            return kBadInput;
    }
    if (!deploy) {
        auto record = store->session(ids.first());
        if (!record) {
            err(record.error());
            return kBadInput;
        }
        auto trials = store->trials(ids.first());
        if (!trials) {
            err(trials.error());
            return kFailed;
        }
        auto written = TrialExporter::write(format, record.value(), trials.value(), p.value(QStringLiteral("out")));
        if (!written) {
            err(written.error());
            return kFailed;
        }
        std::fprintf(stderr, "wrote %d trials of session %lld to %s\n", int(trials->size()), ids.first(),
                     qPrintable(p.value(QStringLiteral("out"))));
        return kOk;
    }

    // One ladder rung per problem key: the fastest ok, verified trial over the sessions of that key.
    TuningLadder ladder;
    QMap<qint64, QStringList> keyValues; // ladder key -> the dejavu key values
    QMap<qint64, QVector<qint64>> tritonKeys; // ladder key -> the autotuner key values
    QMap<qint64, QString> deviceOf;
    for (qint64 id : ids) {
        auto record = store->session(id);
        if (!record) {
            err(record.error());
            return kBadInput;
        }
        auto trials = store->trials(id);
        if (!trials) {
            err(trials.error());
            return kFailed;
        }
        const QString origin = QStringLiteral("session %1 (%2, problem %3)").arg(id).arg(record->kernel, record->problem);
        QStringList values;
        const QVector<int> positions = format == QLatin1String("dejavu")         ? deployment.keyFromProblem
                                       : format == QLatin1String("triton-cache") ? tritonDeployment.keyFromProblem
                                                                                 : QVector<int>{int(keyPosition)};
        for (int pos : positions) {
            auto v = TuningLadder::problemValue(record->problem, pos);
            if (!v) {
                err(QStringLiteral("%1: %2").arg(origin, v.error()));
                return kBadInput;
            }
            values.append(QString::number(v.value()));
        }
        if (format == QLatin1String("triton-cache")) {
            // The ladder runs along the first key argument; sessions of one first value must agree
            // on the others (else they are different keys that one ladder rung cannot hold).
            QVector<qint64> all;
            for (const QString& v : values)
                all.append(v.toLongLong());
            if (tritonKeys.contains(all.first()) && tritonKeys.value(all.first()) != all) {
                err(QStringLiteral("%1: %2 = %3 was also tuned with other values of %4; export those sessions separately")
                        .arg(origin, tritonDeployment.keyNames.first()).arg(all.first()).arg(tritonDeployment.keyNames.mid(1).join(QStringLiteral(", "))));
                return kBadInput;
            }
            tritonKeys.insert(all.first(), all);
            values = values.mid(0, 1);
        } else if (positions.size() > 1) {
            err(QStringLiteral("%1: key_from_problem: exports from the result store support one key value per session; "
                               "the other key arguments go in as dtypes or constants").arg(deployment.keys.join(QStringLiteral(", "))));
            return kBadInput;
        }
        const qint64 key = values.first().toLongLong();
        auto added = ladder.addTrials(key, trials.value(), record->device.name, origin, record->elapsedMs / 1000.0);
        if (!added) {
            err(added.error());
            return kBadInput;
        }
        keyValues.insert(key, values);
        deviceOf.insert(key, record->device.name);
        // A replayed session has its whole landscape at hand: the coverage then says what each
        // tuned entry costs against the key's true best.
        if (record->device.backend == QLatin1String("replay")) {
            auto device = DeviceRegistry::open(record->device.id);
            if (auto* replay = device ? dynamic_cast<ReplayDevice*>(device.value().get()) : nullptr)
                ladder.addLandscape(key, Landscape::fromCache(replay->cache(), record->device.id));
        }
    }
    const QString out = p.value(QStringLiteral("out"));
    const bool force = p.isSet(QStringLiteral("force"));
    Result<QString> written = Error{QString()};
    if (format == QLatin1String("dejavu")) {
        QVector<DejavuEntry> entries;
        for (const LadderRung& r : ladder.rungs())
            entries.append(DejavuEntry{keyValues.value(r.key), {}, r.config, r.measurement, deviceOf.value(r.key),
                                       r.benchSeconds, r.origin});
        auto file = DejavuExporter::render(deployment, entries);
        if (!file) {
            err(QStringLiteral("%1: %2").arg(p.value(QStringLiteral("deployment")), file.error()));
            return kBadInput;
        }
        for (const QString& w : file->warnings)
            std::fprintf(stderr, "warning: %s\n", qPrintable(w));
        written = DejavuExporter::write(file.value(), out, force);
    } else if (format == QLatin1String("triton-cache")) {
        QVector<TritonCacheEntry> entries;
        for (const LadderRung& r : ladder.rungs())
            entries.append(TritonCacheEntry{tritonKeys.value(r.key), r.config, r.measurement, deviceOf.value(r.key), r.origin});
        auto files = TritonCacheExporter::render(tritonDeployment, entries);
        if (!files) {
            err(QStringLiteral("%1: %2").arg(p.value(QStringLiteral("deployment")), files.error()));
            return kBadInput;
        }
        auto paths = TritonCacheExporter::write(files.value(), out, force);
        if (!paths) {
            written = Error{paths.error()};
        } else {
            written = out;
            for (const TritonCacheFile& f : files.value())
                std::fprintf(stderr, "%s: %s -> %s\n", qPrintable(f.tuningKey), qPrintable(f.configString), qPrintable(f.relativePath()));
        }
    } else {
        if (target.deviceName.isEmpty())
            target.deviceName = p.isSet(QStringLiteral("device-name")) ? p.value(QStringLiteral("device-name")) : ladder.deviceName();
        QVector<VllmEntry> entries;
        for (const LadderRung& r : ladder.rungs())
            entries.append(VllmEntry{r.key, r.config, r.measurement, deviceOf.value(r.key), r.origin});
        auto json = VllmConfigExporter::render(target, entries);
        if (!json) {
            err(json.error());
            return kBadInput;
        }
        written = VllmConfigExporter::write(target, entries, out, force);
    }
    if (!written) {
        err(written.error());
        return written.error().contains(QLatin1String("--force")) ? kBadInput : kFailed;
    }
    const auto rungs = ladder.rungs();
    std::fprintf(stderr, "wrote %d tuned keys from %d sessions to %s\n", int(rungs.size()), int(ids.size()),
                 qPrintable(written.value()));
    const auto lookup = format == QLatin1String("vllm") ? TuningLadder::Lookup::Nearest : TuningLadder::Lookup::Exact;
    // Triton's cache, like dejavu, only answers exact keys.
    std::fprintf(stderr, "coverage (%s):\n%s", format == QLatin1String("vllm") ? "nearest M" : "exact key",
                 qPrintable(TuningLadder::coverageTable(ladder.coverage(TuningLadder::powersOfTwo(1, rungs.last().key), lookup))));
    return kOk;
}

} // namespace dv

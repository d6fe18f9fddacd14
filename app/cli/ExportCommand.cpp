// `dejavu-tune export`: writes a session's trials (csv, kerneltuner, t4) or a ladder of sessions
// in the formats deployments load (dejavu, vllm, triton-cache). The work is core's SessionExport
// (shared with the studio); this file parses the options and prints the summary.
#include "Cli.h"

#include "CliSupport.h"
#include "export/SessionExport.h"

#include <QCommandLineParser>

#include <cstdio>

namespace dv {

using namespace cli;

int Cli::exportTrials(const QStringList& args)
{
    const QStringList allFormats = SessionExport::formats();
    QCommandLineParser p;
    p.addOption(databaseOption(QStringLiteral("Result database.")));
    p.addOption({QStringLiteral("format"), QStringLiteral("%1 (docs/exports.md).").arg(allFormats.join(QStringLiteral(", "))), QStringLiteral("FORMAT")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Output file (.gz compresses; - is standard output); for dejavu, vllm and triton-cache "
                                                       "the directory to write into (triton-cache: the deployment's TRITON_CACHE_DIR; sglang: SGLANG_MOE_CONFIG_DIR). "
                                                       "Only regular files are written: a device, FIFO, socket or symbolic link is refused."), QStringLiteral("PATH")});
    p.addOption({QStringLiteral("session"), QStringLiteral("Session id (default: the newest). dejavu, vllm, sglang: repeat it for each problem key "
                                                           "or give a list 1,2,3 (default: every session of the newest session's kernel and GPU)."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("deployment"), QStringLiteral("dejavu, triton-cache: the Python-side values, as kernels/triton/deployment.py prints them (docs/exports.md)."), QStringLiteral("FILE.json")});
    p.addOption({QStringLiteral("experts"), QStringLiteral("vllm, sglang: number of experts E."), QStringLiteral("E")});
    p.addOption({QStringLiteral("n"), QStringLiteral("vllm, sglang: intermediate size per shard N, as the file name carries it."), QStringLiteral("N")});
    p.addOption({QStringLiteral("dtype"), QStringLiteral("vllm, sglang: fp8_w8a8, int8_w8a16, ... (none for fp16/bf16)."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("block-shape"), QStringLiteral("vllm, sglang: block quantisation shape, e.g. 128,128."), QStringLiteral("N,K")});
    p.addOption({QStringLiteral("device-name"), QStringLiteral("vllm, sglang: GPU name (default: the sessions' GPU)."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("triton-version"), QStringLiteral("vllm: recorded as triton_version. sglang: the folder's Triton version "
                                                                  "when the sessions' toolchain records none."), QStringLiteral("V")});
    p.addOption({QStringLiteral("key-position"), QStringLiteral("vllm, sglang: position of M in the session problem (default 0)."), QStringLiteral("POS")});
    p.addOption({QStringLiteral("force"), QStringLiteral("Replace an existing file with different content (an identical one is always accepted).")});
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
    const bool deploy = SessionExport::isDeploymentFormat(format);
    SessionExportOptions options;
    options.format = format;
    options.out = p.value(QStringLiteral("out"));
    options.force = p.isSet(QStringLiteral("force"));
    if (!sessionIdsOption(p, options.sessionIds, QStringLiteral("an integer")))
        return kBadInput;
    if (!deploy && options.sessionIds.size() > 1) {
        err(QStringLiteral("--session: %1 exports one session").arg(format));
        return kBadInput;
    }
    // Without --deployment, dejavu and triton-cache take the values the Triton worker stored
    // with the first session (SessionExport reads them).
    if (SessionExport::needsDeployment(format))
        options.deploymentFile = p.value(QStringLiteral("deployment"));
    if (format == QLatin1String("vllm") || format == QLatin1String("sglang")) {
        qint64 e = 0, n = 0, keyPosition = 0;
        if (!intOption(p, QStringLiteral("experts"), 1, e) || !intOption(p, QStringLiteral("n"), 1, n)
            || !intOption(p, QStringLiteral("key-position"), 0, keyPosition))
            return kBadInput;
        if (e == 0 || n == 0) {
            err(QStringLiteral("--experts and --n are required for --format %1").arg(format));
            return kBadInput;
        }
        options.keyPosition = int(keyPosition);
        options.vllm.experts = int(e);
        options.vllm.n = int(n);
        options.vllm.dtype = p.value(QStringLiteral("dtype"));
        options.vllm.tritonVersion = p.value(QStringLiteral("triton-version"));
        options.vllm.deviceName = p.value(QStringLiteral("device-name")); // empty: the sessions' GPU
        if (p.isSet(QStringLiteral("block-shape"))) {
            for (const QString& part : p.value(QStringLiteral("block-shape")).split(QLatin1Char(','))) {
                bool ok = false;
                options.vllm.blockShape.append(part.trimmed().toInt(&ok));
                if (!ok) {
                    err(QStringLiteral("--block-shape: expected N,K (two integers), got '%1'").arg(p.value(QStringLiteral("block-shape"))));
                    return kBadInput;
                }
            }
        }
    }
    SessionExport job(options);
    // The inputs of the deployment formats are read before the database is touched.
    if (auto prepared = job.prepare(); !prepared) {
        err(prepared.error());
        return kBadInput;
    }
    auto store = openStoreForReading(p.value(QStringLiteral("db")));
    if (!store)
        return kBadInput;
    auto done = job.run(*store);
    for (const QString& w : job.warnings())
        std::fprintf(stderr, "warning: %s\n", qPrintable(w));
    if (!done) {
        err(done.error());
        return job.failure() == SessionExport::Failure::Failed ? kFailed : kBadInput;
    }
    std::fprintf(stderr, "%s", qPrintable(done->text()));
    return kOk;
}

} // namespace dv

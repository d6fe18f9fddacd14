// `dejavu-tune devices`: the recorded landscapes and this build's GPU workers (nothing is started).
#include "Cli.h"

#include "CliSupport.h"
#include "device/DeviceRegistry.h"

#include <QCommandLineParser>
#include <QJsonObject>

namespace dv {

using namespace cli;

int Cli::devices(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("json"), QStringLiteral("One JSON object per device.")});
    p.addOption({QStringLiteral("licenses"), QStringLiteral("Print the licence notices of the shipped datasets.")});
    if (!parse(p, args, QStringLiteral("List the devices that can be tuned.")))
        return kBadInput;
    if (p.isSet(QStringLiteral("licenses"))) {
        out(DeviceRegistry::datasetNotices());
        return kOk;
    }
    auto list = DeviceRegistry::list();
    if (!list) {
        err(list.error());
        return kFailed;
    }
    for (const auto& e : list.value()) {
        if (p.isSet(QStringLiteral("json"))) {
            out(compactJson(QJsonObject{{QStringLiteral("id"), e.id}, {QStringLiteral("device"), e.deviceName},
                                        {QStringLiteral("kernel"), e.kernel}, {QStringLiteral("problem"), e.problem},
                                        {QStringLiteral("configurations"), e.configurations}}));
        } else {
            out(QStringLiteral("%1\n    %2 | kernel %3 | problem %4 | %5 configurations (%6)")
                    .arg(e.id, e.deviceName, e.kernel, e.problem).arg(e.configurations).arg(e.description));
        }
    }
    // The GPU workers of this build by their short names (nothing is started here).
    for (const auto& e : DeviceRegistry::namedWorkers()) {
        if (p.isSet(QStringLiteral("json"))) {
            out(compactJson(QJsonObject{{QStringLiteral("id"), e.id}, {QStringLiteral("device"), e.deviceName},
                                        {QStringLiteral("kernel"), e.kernel}, {QStringLiteral("worker"), e.description}}));
        } else {
            out(QStringLiteral("%1\n    %2 | default kernel %3 | %4").arg(e.id, e.deviceName, e.kernel, e.description));
        }
    }
    if (!p.isSet(QStringLiteral("json")))
        out(QStringLiteral("\nAny Kernel Tuner cache file (.json or .json.gz) can be used as a device by its path.\n"
                           "A GPU worker is a device given by its command line (docs/worker-protocol.md), e.g.\n"
                           "  \"worker:kernel=matmul 'problem={\\\"M\\\":4096,\\\"N\\\":4096,\\\"K\\\":4096}' timeout=60 "
                           "python3 kernels/triton/dejavu_triton_worker.py\""));
    return kOk;
}

} // namespace dv

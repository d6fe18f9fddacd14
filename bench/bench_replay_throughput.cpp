// Replay-session throughput: trials per second through the whole engine (strategy, device,
// SQLite commit with WAL + synchronous=FULL, signals), on the largest shipped datasets.
#include "device/DeviceRegistry.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <cstdio>

using namespace dv;

namespace {

void run(const QString& deviceId, const QString& strategy, const QString& dbPath, const char* storeLabel)
{
    auto opened = DeviceRegistry::open(deviceId);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error()));
        std::exit(1);
    }
    std::shared_ptr<Device> device(std::move(opened.value()));
    auto store = ResultStore::open(dbPath);
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(store.error()));
        std::exit(1);
    }
    auto session = Session::create(*store.value(), device, SessionOptions{strategy, {}, 1, 0, 0});
    if (!session) {
        std::fprintf(stderr, "%s\n", qPrintable(session.error()));
        std::exit(1);
    }
    QElapsedTimer t;
    t.start();
    auto ended = session.value()->run();
    const double s = double(t.nsecsElapsed()) / 1e9;
    if (!ended) {
        std::fprintf(stderr, "%s\n", qPrintable(ended.error()));
        std::exit(1);
    }
    const int n = session.value()->history().count();
    std::printf("| %s | %s | %s | %d | %.3f | %.0f |\n", qPrintable(deviceId), qPrintable(strategy), storeLabel, n, s,
                n / s);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    std::printf("| device | strategy | store | trials | seconds | trials/s |\n|---|---|---|---|---|---|\n");
    int k = 0;
    for (const char* id : {"replay:kerneltuner/convolution_A100", "replay:kerneltuner/pnpoly_RTX_3090",
                           "replay:h100/triton_matmul_fp16_M4096_N4096_K4096"}) {
        for (const char* strategy : {"grid", "random"}) {
            run(QString::fromLatin1(id), QString::fromLatin1(strategy),
                dir.filePath(QStringLiteral("bench%1.sqlite").arg(k++)), "file (WAL, synchronous=FULL)");
            run(QString::fromLatin1(id), QString::fromLatin1(strategy), QStringLiteral(":memory:"), "in memory");
        }
    }
    return 0;
}

#pragma once

// Helpers shared by the tests: open what a test needs or stop it with the reason.

#include "DeviceRegistry.h"
#include "Landscape.h"
#include "ReplayDevice.h"
#include "ResultStore.h"

#include <QtGlobal>

#include <memory>

namespace dv::test {

inline std::shared_ptr<Device> openDevice(const QString& id)
{
    auto device = DeviceRegistry::open(id);
    if (!device)
        qFatal("cannot open %s: %s", qPrintable(id), qPrintable(device.error()));
    return std::shared_ptr<Device>(std::move(device.value()));
}

inline ConfigSpace datasetSpace(const QString& id) { return openDevice(id)->workload().space; }

/// The shipped convolution landscape of `gpu` (A100, MI250X, W7800), named after the GPU.
inline Landscape convolutionLandscape(const QString& gpu)
{
    const QString id = QStringLiteral("replay:kerneltuner/convolution_") + gpu;
    auto device = DeviceRegistry::open(id);
    if (!device)
        qFatal("cannot open %s: %s", qPrintable(id), qPrintable(device.error()));
    return Landscape::fromCache(dynamic_cast<ReplayDevice*>(device.value().get())->cache(), gpu);
}

inline std::unique_ptr<ResultStore> openStore(const QString& path)
{
    auto store = ResultStore::open(path);
    if (!store)
        qFatal("%s", qPrintable(store.error()));
    return std::move(store.value());
}

} // namespace dv::test

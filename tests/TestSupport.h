#pragma once

// Helpers shared by the tests: open what a test needs or stop it with the reason.

#include "DeviceRegistry.h"
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

inline std::unique_ptr<ResultStore> openStore(const QString& path)
{
    auto store = ResultStore::open(path);
    if (!store)
        qFatal("%s", qPrintable(store.error()));
    return std::move(store.value());
}

} // namespace dv::test

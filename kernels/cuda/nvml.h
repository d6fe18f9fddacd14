#pragma once

// NVML (clock, temperature, driver version) for the native GPU worker, opened with dlopen where
// present: a worker without NVML still measures, it only reports no sensors. The HIP build has none.

#include <nlohmann/json.hpp>

#include <string>

#include <dlfcn.h>

namespace dv {

struct Nvml {
    using Init = int (*)();
    using DriverVersion = int (*)(char*, unsigned);
    using ByBus = int (*)(const char*, void**);
    using Clock = int (*)(void*, int, unsigned*);
    using Temperature = int (*)(void*, int, unsigned*);
    DriverVersion driverVersion = nullptr;
    ByBus byBus = nullptr;
    Clock clock = nullptr;
    Temperature temperature = nullptr;
    bool ok = false;

    void open()
    {
#if !defined(DEJAVU_HIP)
        void* library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!library)
            return;
        auto init = reinterpret_cast<Init>(dlsym(library, "nvmlInit_v2"));
        driverVersion = reinterpret_cast<DriverVersion>(dlsym(library, "nvmlSystemGetDriverVersion"));
        byBus = reinterpret_cast<ByBus>(dlsym(library, "nvmlDeviceGetHandleByPciBusId_v2"));
        clock = reinterpret_cast<Clock>(dlsym(library, "nvmlDeviceGetClockInfo"));
        temperature = reinterpret_cast<Temperature>(dlsym(library, "nvmlDeviceGetTemperature"));
        ok = init && driverVersion && byBus && clock && temperature && init() == 0;
#endif
    }

    /// The SM clock and the temperature of the GPU on `pciBus`, where NVML reads them.
    void sensors(const std::string& pciBus, nlohmann::json& answer) const
    {
#if !defined(DEJAVU_HIP)
        if (!ok || pciBus.empty())
            return;
        void* handle = nullptr;
        if (byBus(pciBus.c_str(), &handle) != 0)
            return;
        unsigned value = 0;
        if (clock(handle, 1 /* NVML_CLOCK_SM */, &value) == 0)
            answer["clock_mhz"] = value;
        if (temperature(handle, 0 /* NVML_TEMPERATURE_GPU */, &value) == 0)
            answer["temperature_c"] = value;
#else
        (void)pciBus;
        (void)answer;
#endif
    }
};

} // namespace dv

#pragma once

// The native GPU worker itself: one GPU context, the loaded kernel and its buffers, and the
// requests load, prepare and evaluate (docs/worker-protocol.md). main.cpp wires it to stdin/stdout.

#include "compiler.h"
#include "gpu.h"
#include "gpu_error.h"
#include "manifest.h"
#include "nvml.h"
#include "timing.h"

#include "worker_json.h"
#include "worker_loop.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using json = nlohmann::json;
using dv::worker::RequestError;
using dv::worker::arrayField;
using dv::worker::field;
using dv::worker::matches;
using dv::worker::quantile;
#include "worker_support.h"

namespace dv {

struct DeviceInfo {
    int ordinal = 0;
    dvDevice device{};
    std::string name, arch, pciBus;
    int multiprocessors = 0;
    std::int64_t memoryBytes = 0;
    int l2Bytes = 0;
};

struct DeviceBuffer {
    dvDevPtr ptr{};
    std::size_t bytes = 0;
};

class Worker {
public:
    explicit Worker(Options options)
        : m_options(std::move(options))
        , m_tree(readTree(m_options.kernelsDir))
        , m_pool(unsigned(m_options.compileThreads >= 0 ? m_options.compileThreads
                                                        : int(std::max(1u, std::thread::hardware_concurrency()))))
    {}

    std::function<void(const json&)> out = [](const json& message) { std::cout << message.dump() << '\n' << std::flush; };

    /// Initialises the driver and lists the devices; "" or why not.
    std::string initialise()
    {
        std::string why = dvLoadDriver();
        if (!why.empty())
            return why;
        dvResult r = dvInit();
        if (r != DV_SUCCESS)
            return std::string("cannot initialise the GPU driver: ") + dvErrorName(r) + " (" + dvErrorString(r) + ")";
        int count = 0;
        r = dvDeviceGetCount(&count);
        if (r != DV_SUCCESS || count < 1)
            return "no GPU found (device count " + std::to_string(count) + ")";
        for (int i = 0; i < count; ++i) {
            DeviceInfo d;
            d.ordinal = i;
            check(dvDeviceGet(&d.device, i), "device " + std::to_string(i));
            char name[256] = {0};
            check(dvDeviceGetName(name, sizeof name - 1, d.device), "device name");
            d.name = name;
            d.arch = dvArchName(i, d.device);
            check(dvDeviceAttribute(&d.multiprocessors, DV_ATTR_MULTIPROCESSORS, d.device), "multiprocessor count");
            check(dvDeviceAttribute(&d.l2Bytes, DV_ATTR_L2_BYTES, d.device), "L2 size");
            std::size_t bytes = 0;
            check(dvDeviceTotalMem(&bytes, d.device), "memory size");
            d.memoryBytes = std::int64_t(bytes);
#if !defined(DEJAVU_HIP)
            char bus[64] = {0};
            if (dvDriver.cuDeviceGetPCIBusId(bus, sizeof bus - 1, d.device) == CUDA_SUCCESS)
                d.pciBus = bus;
#endif
            m_devices.push_back(d);
        }
        m_nvml.open();
        return {};
    }

    json versions() const
    {
        json v = {{"worker", kWorkerVersion}};
        int driver = 0;
        if (dvDriverGetVersion(&driver) == DV_SUCCESS) {
#if defined(DEJAVU_HIP)
            v["hip"] = std::to_string(driver / 10000000) + "." + std::to_string(driver / 100000 % 100);
            v["driver"] = std::to_string(driver);
#else
            v["cuda"] = std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10);
#endif
        }
        int major = 0, minor = 0;
        if (dvRtcVersion(&major, &minor) == DV_RTC_SUCCESS)
            v[DV_BACKEND == std::string("hip") ? "hiprtc" : "nvrtc"] = std::to_string(major) + "." + std::to_string(minor);
        if (m_nvml.ok) {
            char text[96] = {0};
            if (m_nvml.driverVersion(text, sizeof text - 1) == 0)
                v["driver"] = text;
        }
        return v;
    }

    json hello() const
    {
        json devices = json::array();
        for (const DeviceInfo& d : m_devices) {
            json extra = {{"l2_bytes", d.l2Bytes}};
            if (!d.pciBus.empty())
                extra["pci_bus_id"] = d.pciBus;
            devices.push_back({{"index", d.ordinal},
                               {"name", d.name},
                               {"arch", d.arch},
                               {"multiprocessors", d.multiprocessors},
                               {"memory_bytes", d.memoryBytes},
                               {"extra", extra}});
        }
        json h = {{"type", "hello"},          {"protocol", kProtocolVersion}, {"backend", DV_BACKEND},
                  {"pid", std::int64_t(getpid())}, {"devices", devices},       {"versions", versions()}};
        if (m_options.capabilities)
            h["capabilities"] = {"prepare"};
        return h;
    }

    /// What each request does; the shared loop (worker_loop.h) reads the lines and answers errors.
    dv::worker::RequestHandlers handlers()
    {
        dv::worker::RequestHandlers h;
        h.send = [this](const json& message) { out(message); };
        h.load = [this](const json& request) { load(request); };
        h.evaluate = [this](const json& request) { evaluate(request); };
        h.prepare = [this](const json& request) { prepare(request); };
        h.internalError = [this](const std::exception& e) {
            // A sticky GPU error leaves the context unusable: no answer, the process ends.
            if (const auto* gpu = dynamic_cast<const GpuError*>(&e); gpu && dvIsSticky(gpu->result))
                die(e.what());
        };
        return h;
    }

    /// Answers one request line (the self-test's); false after shutdown.
    bool handle(const std::string& line) { return dv::worker::handleRequest(line, handlers()); }

    const Manifest* manifest() const { return m_manifest.get(); }
    const SourceTree& tree() const { return m_tree; }
    Options& options() { return m_options; }

private:
    [[noreturn]] void die(const std::string& why)
    {
        // The context is unusable after an illegal address or a failed launch: last words on
        // stderr, then exit, so that the engine marks the trial crashed and starts a new worker.
        say(why);
        say("the GPU context cannot be used any more; exiting");
        std::_Exit(3);
    }

    std::string prelude() const
    {
        const auto it = m_tree.find("common/prelude.cuh");
        return it == m_tree.end() ? std::string() : it->second + "\n";
    }

    std::vector<std::string> macrosFor(const json& config, int fault) const
    {
        std::vector<std::string> macros;
        // The parameters, and the problem only through the manifest's macros: a problem
        // parameter M as a macro would rewrite every "int M" of the source.
        for (auto it = config.begin(); it != config.end(); ++it)
            macros.push_back(it.key() + "=" + std::to_string(it->get<std::int64_t>()));
        for (const auto& [name, text] : m_manifest->macros) {
            const double v = dv::evaluate(text, config, m_problem);
            std::ostringstream s;
            s.precision(17);
            s << v;
            macros.push_back(name + "=" + s.str());
        }
        if (fault)
            macros.push_back("DV_FAULT=" + std::to_string(fault));
        return macros;
    }

    int faultFor(const json& config) const
    {
        for (const auto& [fault, partial] : m_options.faults) {
            if (matches(config, partial))
                return fault;
        }
        return 0;
    }

    std::pair<std::string, std::shared_ptr<CompilePool::Job>> jobFor(const json& config) const
    {
        auto job = std::make_shared<CompilePool::Job>();
        const int fault = faultFor(config);
        job->source = prelude() + m_manifest->sourceText;
        job->name = m_manifest->launch.source;
        job->arch = m_device.arch;
        job->macros = macrosFor(config, fault);
        std::string key = m_manifest->name + "|" + m_problem.dump() + "|" + config.dump() + "|" + std::to_string(fault);
        return {key, job};
    }

    // The support and reference kernels take everything as arguments: no macros.
    dvModule compileOnce(const std::string& source, const std::string& name)
    {
        const CompileResult r = compileSource(prelude() + source, name, m_device.arch, {});
        if (!r.ok)
            throw RequestError("internal", "cannot compile " + name + ": " + r.log);
        dvModule module{};
        check(dvModuleLoadData(&module, r.code.data()), "loading " + name);
        return module;
    }

    void releaseLoad()
    {
        for (auto& [name, b] : m_buffers) {
            (void)name;
            (void)dvMemFree(b.ptr);
        }
        m_buffers.clear();
        if (m_flush.bytes)
            (void)dvMemFree(m_flush.ptr);
        m_flush = {};
        for (dvModule* m : {&m_support, &m_reference}) {
            if (*m)
                (void)dvModuleUnload(*m);
            *m = {};
        }
        if (m_stream) {
            (void)dvEventDestroy(m_start);
            (void)dvEventDestroy(m_stop);
            (void)dvStreamDestroy(m_stream);
            m_stream = {};
        }
    }

    void load(const json& request)
    {
        const auto names = kernelNames(m_tree);
        std::string fallback = names.empty() ? std::string() : names.front();
        if (std::find(names.begin(), names.end(), "gemm") != names.end())
            fallback = "gemm";
        const auto kernel = field<std::string>(request, "load", "kernel", false, fallback);
        if (std::find(names.begin(), names.end(), kernel) == names.end()) {
            std::string list;
            for (const std::string& n : names)
                list += (list.empty() ? "" : ", ") + n;
            throw RequestError("unknown_kernel", "unknown kernel '" + kernel + "' (this worker has: " + list + ")");
        }
        const auto problemRequest = field<json>(request, "load", "problem");
        const auto device = field<std::int64_t>(request, "load", "device", false, 0);
        if (device < 0 || device >= std::int64_t(m_devices.size()))
            throw RequestError("bad_request", "load.device: " + std::to_string(device) + " is not one of the "
                                                  + std::to_string(m_devices.size()) + " device(s)");
        auto manifest = std::make_unique<Manifest>(readManifest(m_tree, kernel));
        json problem;
        try {
            problem = manifest->completeProblem(problemRequest);
        } catch (const ManifestError& e) {
            throw RequestError("bad_problem", e.what());
        }
        const std::string bad = manifest->badProblemReason(problem);
        if (!bad.empty())
            throw RequestError("bad_problem", bad);

        m_pool.clear();
        releaseLoad();
        m_manifest = std::move(manifest);
        m_problem = problem;
        m_device = m_devices[std::size_t(device)];
        check(dvMakeCurrent(m_device.ordinal, m_device.device), "making the device current");
        check(dvStreamCreate(&m_stream), "creating a stream");
        check(dvEventCreate(&m_start), "creating an event");
        check(dvEventCreate(&m_stop), "creating an event");
        const auto support = m_tree.find("common/support.cu");
        if (support == m_tree.end())
            throw RequestError("internal", "common/support.cu is missing");
        m_support = compileOnce(support->second, "support.cu");
        m_reference = compileOnce(m_manifest->referenceText, m_manifest->reference.source);
        check(dvModuleGetFunction(&m_fillUniform, m_support, "dv_fill_uniform"), "dv_fill_uniform");
        check(dvModuleGetFunction(&m_fillInt, m_support, "dv_fill_int"), "dv_fill_int");
        check(dvModuleGetFunction(&m_referenceFunction, m_reference, m_manifest->reference.entry.c_str()),
              m_manifest->reference.entry);
        // An L2 flush writes twice the L2 size.
        m_flush.bytes = std::max<std::size_t>(std::size_t(m_device.l2Bytes) * 2, 1 << 20);
        check(dvMemAlloc(&m_flush.ptr, m_flush.bytes), "allocating the L2 flush buffer");

        out({{"type", "loaded"},
             {"id", request["id"]},
             {"kernel", m_manifest->name},
             {"problem", m_problem.dump()},
             {"identity", m_manifest->identity},
             {"space", m_manifest->space()}});
        if (m_options.precompile) {
            int queued = 0;
            for (const json& c : m_manifest->enumerate()) {
                auto [key, job] = jobFor(c);
                queued += m_pool.enqueue(key, job) ? 1 : 0;
            }
            say("queued " + std::to_string(queued) + " configurations for compilation on " + std::to_string(m_pool.threads())
                + " threads");
        }
    }

    void prepare(const json& request)
    {
        if (!m_manifest)
            throw RequestError("not_loaded", "prepare before load");
        const auto configs = arrayField(request, "prepare", "configs");
        if (!configs.is_array())
            throw RequestError("bad_request", "prepare.configs: expected an array");
        int queued = 0;
        for (const json& c : configs) {
            if (!m_manifest->invalidReason(c).empty())
                continue;
            auto [key, job] = jobFor(c);
            queued += m_pool.enqueue(key, job) ? 1 : 0;
        }
        out({{"type", "prepared"}, {"id", request["id"]}, {"queued", queued}});
    }

    dvDevPtr buffer(const BufferSpec& spec, std::size_t bytes)
    {
        DeviceBuffer& b = m_buffers[spec.name];
        if (b.bytes < bytes) {
            if (b.bytes)
                check(dvMemFree(b.ptr), "freeing " + spec.name);
            b = {};
            check(dvMemAlloc(&b.ptr, bytes), "allocating " + std::to_string(bytes) + " bytes for " + spec.name);
            b.bytes = bytes;
        }
        return b.ptr;
    }

    void waitStream(const std::string& what)
    {
        check(dvStreamSynchronize(m_stream), what);
    }

    struct Launch {
        unsigned grid[3], block[3], shared;
        std::vector<dvDevPtr> pointers;
        std::vector<int> ints;
        std::vector<void*> args;
    };

    Launch geometry(const LaunchSpec& spec, const json& config)
    {
        Launch l{};
        for (int d = 0; d < 3; ++d) {
            l.grid[d] = unsigned(evaluateCount(spec.grid[d], config, m_problem, "grid"));
            l.block[d] = unsigned(evaluateCount(spec.block[d], config, m_problem, "block"));
        }
        l.shared = unsigned(evaluateCount(spec.sharedBytes, config, m_problem, "shared_bytes"));
        l.pointers.reserve(spec.arguments.size());
        l.ints.reserve(spec.arguments.size());
        for (const std::string& a : spec.arguments) {
            if (m_manifest->buffer(a)) {
                l.pointers.push_back(m_buffers.at(a).ptr);
                l.args.push_back(&l.pointers.back());
            } else {
                l.ints.push_back(int(evaluateCount(a, config, m_problem, "argument")));
                l.args.push_back(&l.ints.back());
            }
        }
        return l;
    }

    void launch(dvFunction f, Launch& l, const std::string& what)
    {
        check(dvLaunchKernel(f, l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2], l.shared, m_stream,
                             l.args.data(), nullptr),
              what);
    }

    void fill(const json& config)
    {
        ++m_seed;
        const std::uint64_t seed = fnv1a(std::to_string(m_seed) + config.dump(), 0x243F6A8885A308D3ull)
                                 ^ std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
        for (const BufferSpec& spec : m_manifest->buffers) {
            const std::size_t n = std::size_t(evaluateCount(spec.elements, config, m_problem, "buffer " + spec.name));
            const dvDevPtr p = buffer(spec, std::max<std::size_t>(n, 1) * spec.elementBytes());
            if (spec.init == "zero") {
                check(dvMemsetD8(p, 0, n * spec.elementBytes()), "zeroing " + spec.name);
            } else if (spec.init == "poison") {
                // NaN in every f32 word and in every f64 (0x7FF8DEAD... has an all-ones exponent).
                const unsigned pattern = spec.type == "f32" ? 0x7FC0DEADu : spec.type == "f64" ? 0x7FF8DEADu : 0xDEADBEEFu;
                check(dvMemsetD32(p, pattern, n * spec.elementBytes() / 4), "poisoning " + spec.name);
            } else {
                dvDevPtr ptr = p;
                unsigned long long count = n, s = seed + fnv1a(spec.name);
                void* args[] = {&ptr, &count, &s};
                check(dvLaunchKernel(spec.init == "int" ? m_fillInt : m_fillUniform, 1024, 1, 1, 256, 1, 1, 0, m_stream, args,
                                     nullptr),
                      "filling " + spec.name);
            }
        }
        waitStream("filling the inputs");
    }

    std::vector<double> download(const std::string& name, std::size_t n)
    {
        const BufferSpec* spec = m_manifest->buffer(name);
        std::vector<double> values(n);
        if (spec->type == "f64") {
            check(dvMemcpyDtoH(values.data(), m_buffers.at(name).ptr, n * 8), "reading " + name);
        } else {
            std::vector<float> f(n);
            check(dvMemcpyDtoH(f.data(), m_buffers.at(name).ptr, n * 4), "reading " + name);
            std::copy(f.begin(), f.end(), values.begin());
        }
        return values;
    }

    // "" when the output matches the reference, else the mismatch.
    std::string compare(const json& config)
    {
        const BufferSpec* o = m_manifest->buffer(m_manifest->checkOutput);
        const BufferSpec* r = m_manifest->buffer(m_manifest->checkReference);
        const std::size_t n = std::size_t(evaluateCount(o->elements, config, m_problem, "buffer"));
        if (std::size_t(evaluateCount(r->elements, config, m_problem, "buffer")) != n)
            return "the output and reference buffers differ in size";
        const std::vector<double> got = download(o->name, n);
        const std::vector<double> want = download(r->name, n);
        const double atol = dv::evaluate(m_manifest->atol, json::object(), m_problem);
        const double rtol = dv::evaluate(m_manifest->rtol, json::object(), m_problem);
        std::size_t bad = 0, worst = 0, firstNaN = n;
        double worstExcess = -1.0, worstError = 0.0, worstTolerance = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            if (std::isnan(want[i]))
                return "the reference left index " + std::to_string(i) + " unwritten";
            const double tolerance = atol + rtol * std::fabs(want[i]);
            if (std::isnan(got[i])) {
                ++bad;
                firstNaN = std::min(firstNaN, i);
                continue;
            }
            const double error = std::fabs(got[i] - want[i]);
            if (error > tolerance) {
                ++bad;
                if (error - tolerance > worstExcess) {
                    worstExcess = error - tolerance;
                    worst = i;
                    worstError = error;
                    worstTolerance = tolerance;
                }
            }
        }
        if (bad == 0)
            return {};
        std::ostringstream s;
        if (worstExcess >= 0.0)
            s << "max abs error " << worstError << " at index " << worst << " (tolerance " << worstTolerance << ")";
        else
            s << "NaN (never written) at index " << firstNaN;
        s << "; " << bad << " of " << n << " elements differ from the reference";
        return s.str();
    }

    void evaluate(const json& request)
    {
        if (!m_manifest)
            throw RequestError("not_loaded", "evaluate before load");
        const auto begin = std::chrono::steady_clock::now();
        const json id = request["id"];
        const auto config = field<json>(request, "evaluate", "config");
        const auto opts = field<json>(request, "evaluate", "options");
        const auto warmup = field<int>(opts, "evaluate.options", "warmup");
        const auto repetitions = field<int>(opts, "evaluate.options", "repetitions");
        const auto minTimeMs = field<double>(opts, "evaluate.options", "min_time_ms");
        const auto maxRepetitions = field<int>(opts, "evaluate.options", "max_repetitions");
        const auto flushL2 = field<bool>(opts, "evaluate.options", "flush_l2");
        const auto timeoutMs = field<double>(opts, "evaluate.options", "timeout_ms");
        const auto graph = field<bool>(opts, "evaluate.options", "graph", false, false);
        auto elapsedMs = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count(); };

        json answer = {{"type", "measurement"}, {"id", id}, {"samples_ms", json::array()}};
        auto fail = [&](const char* status, const std::string& error) {
            answer["status"] = status;
            answer["error"] = error.empty() ? std::string(status) : error.substr(0, 8000);
            out(answer);
        };
        const std::string invalid = m_manifest->invalidReason(config);
        if (!invalid.empty())
            return fail("invalid", invalid);

        auto [key, job] = jobFor(config);
        const CompileResult compiled = m_pool.get(key, job);
        answer["compile_ms"] = compiled.ms;
        if (!compiled.ok)
            return fail("compile_error", compiled.log);

        dvModule module{};
        struct Unload {
            dvModule& m;
            ~Unload()
            {
                if (m)
                    (void)dvModuleUnload(m);
            }
        } unload{module};
        try {
            check(dvModuleLoadData(&module, compiled.code.data()), "loading the compiled kernel");
            dvFunction function{};
            check(dvModuleGetFunction(&function, module, m_manifest->launch.entry.c_str()), m_manifest->launch.entry);
            int registers = 0, staticShared = 0, maxThreads = 0;
            check(dvFuncGetAttribute(&registers, DV_FUNC_ATTRIBUTE_NUM_REGS, function), "registers");
            check(dvFuncGetAttribute(&staticShared, DV_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, function), "shared memory");
            check(dvFuncGetAttribute(&maxThreads, DV_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, function), "max threads");
            fill(config);
            Launch kernel = geometry(m_manifest->launch, config);
            answer["registers"] = registers;
            answer["shared_memory_bytes"] = staticShared + int(kernel.shared);
            const unsigned threads = kernel.block[0] * kernel.block[1] * kernel.block[2];
            if (int(threads) > maxThreads)
                return fail("runtime_error", "the launch needs " + std::to_string(threads) + " threads per block; the compiled kernel allows "
                                                 + std::to_string(maxThreads) + " (" + std::to_string(registers) + " registers per thread)");

            // Verify: the kernel once on fresh inputs into a poisoned output, then the reference.
            launch(function, kernel, "launching the kernel");
            waitStream("running the kernel");
            Launch reference = geometry(m_manifest->reference, json::object());
            launch(m_referenceFunction, reference, "launching the reference");
            waitStream("running the reference");
            const std::string mismatch = compare(config);
            if (!mismatch.empty())
                return fail("wrong_result", mismatch);

            for (int i = 0; i < warmup; ++i)
                launch(function, kernel, "warm-up");
            waitStream("warm-up");

            EventTimer::Options timing;
            timing.repetitions = repetitions;
            timing.maxRepetitions = maxRepetitions;
            timing.minTimeMs = minTimeMs;
            timing.timeoutMs = timeoutMs;
            timing.flushL2 = flushL2;
            timing.graph = graph;
            const EventTimer timer{m_stream, m_start, m_stop, m_flush.ptr, m_flush.bytes};
            const std::vector<double> samples = timer.time(
                timing, [&](const std::string& what) { launch(function, kernel, what); },
                [&](const std::string& what) { waitStream(what); }, elapsedMs);
            if (samples.empty() || quantile(samples, 0.5) <= 0.0)
                return fail("runtime_error", "no positive time was measured");
            answer["status"] = "ok";
            answer["samples_ms"] = samples;
            answer["objective_ms"] = quantile(samples, 0.5);
            answer["p20_ms"] = quantile(samples, 0.2);
            answer["p80_ms"] = quantile(samples, 0.8);
            json extra = {{"grid", {kernel.grid[0], kernel.grid[1], kernel.grid[2]}},
                          {"block", {kernel.block[0], kernel.block[1], kernel.block[2]}},
                          {"timing", graph ? "graph" : "events"},
                          {"evaluation_ms", elapsedMs()}};
            if (graph)
                extra["graph_launches"] = EventTimer::kGraphLaunches;
            answer["extra"] = extra;
            m_nvml.sensors(m_device.pciBus, answer);
            out(answer);
        } catch (const GpuError& e) {
            if (dvIsSticky(e.result))
                die(e.what() + std::string(" (configuration ") + config.dump() + ")");
            // Errors that leave the context usable (too many resources, invalid launch).
            return fail("runtime_error", e.what());
        } catch (const expr::Error& e) {
            return fail("runtime_error", e.what());
        }
    }

    Options m_options;
    SourceTree m_tree;
    CompilePool m_pool;
    Nvml m_nvml;
    std::vector<DeviceInfo> m_devices;
    DeviceInfo m_device;
    std::unique_ptr<Manifest> m_manifest;
    json m_problem;
    dvStream m_stream{};
    dvEvent m_start{}, m_stop{};
    dvModule m_support{}, m_reference{};
    dvFunction m_fillUniform{}, m_fillInt{}, m_referenceFunction{};
    std::map<std::string, DeviceBuffer> m_buffers;
    DeviceBuffer m_flush;
    std::uint64_t m_seed = 0;
};

} // namespace dv

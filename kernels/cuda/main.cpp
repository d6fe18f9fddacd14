// dejavu-cuda-worker / dejavu-hip-worker: the native GPU worker of docs/worker-protocol.md.
// Kernels and their manifests (kernels/cuda/<name>/) are built into the program; each
// configuration is compiled at run time (NVRTC or hiprtc) with its parameters as macros,
// verified against a naive reference kernel on fresh random inputs, and timed with events.
//
//   dejavu-cuda-worker                     speak the protocol on stdin/stdout
//   dejavu-cuda-worker --version           versions, without touching a GPU
//   dejavu-cuda-worker --list-kernels      check every manifest; one JSON line per kernel
//   dejavu-cuda-worker --self-test         one evaluation per kernel on a small problem, and a
//                                          dropped store that must be caught (exit 77: no GPU)
//   dejavu-cuda-worker --compile-check ARCH  compile every kernel (a few configurations, every
//                                          fault variant) and reference for ARCH, no GPU needed
// Options: --kernels-dir DIR (read kernels from DIR instead of the built-in copy),
//   --compile-threads N (default: the host's cores), --precompile (queue the whole space of a
//   kernel for compilation when it is loaded), --FAULT-on JSON with FAULT one of
//   fault-illegal-address, fault-hang, fault-wrong (compile the matching configurations with
//   an injected fault), --no-capabilities (a hello without "capabilities", for engines that
//   predate the `prepare` request).

#include "compiler.h"
#include "gpu.h"
#include "gpu_error.h"
#include "manifest.h"
#include "nvml.h"
#include "timing.h"

#include "worker_json.h"
#include "worker_loop.h"
#include "worker.h"
#include "worker_support.h"

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


#if !defined(DEJAVU_HIP)
DvDriverApi dvDriver;

std::string dvLoadDriver()
{
    void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library)
        return std::string("cannot load the CUDA driver (libcuda.so.1): ") + dlerror();
#define DV_STR2(x) #x
#define DV_STR(x) DV_STR2(x)
#define DV_DRIVER_LOAD(f)                                                                   \
    dvDriver.f = reinterpret_cast<decltype(dvDriver.f)>(dlsym(library, DV_STR(f)));         \
    if (!dvDriver.f)                                                                        \
        return std::string("the CUDA driver lacks ") + DV_STR(f) + " (too old for this worker)";
    DV_DRIVER_FUNCTIONS(DV_DRIVER_LOAD)
#undef DV_DRIVER_LOAD
    return {};
}
#endif

namespace dv {
namespace {


[[noreturn]] void usage(const std::string& problem)
{
    std::cerr << DV_PROGRAM ": " << problem << "\n"
              << "usage: " DV_PROGRAM " [--version | --list-kernels | --self-test | --compile-check ARCH] [--kernels-dir DIR] [--compile-threads N]\n"
              << "       [--precompile] [--no-capabilities] [--fault-illegal-address-on JSON] [--fault-hang-on JSON] [--fault-wrong-on JSON]\n";
    std::exit(2);
}

int listKernels(const SourceTree& tree)
{
    int failures = 0;
    for (const std::string& name : kernelNames(tree)) {
        try {
            const Manifest m = readManifest(tree, name);
            std::cout << json{{"kernel", m.name},
                              {"identity", m.identity},
                              {"configurations", m.enumerate().size()},
                              {"problem", m.problem},
                              {"space", m.space()}}
                             .dump()
                      << '\n';
        } catch (const std::exception& e) {
            std::cerr << DV_PROGRAM ": " << e.what() << '\n';
            ++failures;
        }
    }
    return failures ? 2 : 0;
}

// Compiles, without a GPU, the support and reference kernels and the first, middle and last
// configuration of every kernel for `arch`, at the default problem.
int compileCheck(const SourceTree& tree, const std::string& arch)
{
    int failures = 0;
    const auto prelude = tree.count("common/prelude.cuh") ? tree.at("common/prelude.cuh") + "\n" : std::string();
    auto report = [&](const std::string& what, const CompileResult& r) {
        std::cout << (r.ok ? "ok   " : "FAIL ") << what << " (" << r.ms << " ms)\n";
        if (!r.ok) {
            std::cout << r.log << '\n';
            ++failures;
        }
    };
    report("common/support.cu", compileSource(prelude + tree.at("common/support.cu"), "support.cu", arch, {}));
    for (const std::string& name : kernelNames(tree)) {
        const Manifest m = readManifest(tree, name);
        report(name + "/" + m.reference.source, compileSource(prelude + m.referenceText, m.reference.source, arch, {}));
        const auto configs = m.enumerate();
        const std::size_t picks[] = {0, configs.size() / 2, configs.size() - 1};
        for (std::size_t pick : picks) {
            const json& c = configs[pick];
            std::vector<std::string> macros;
            for (auto it = c.begin(); it != c.end(); ++it)
                macros.push_back(it.key() + "=" + std::to_string(it->get<std::int64_t>()));
            for (const auto& [macro, text] : m.macros)
                macros.push_back(macro + "=" + std::to_string(std::llround(evaluate(text, c, m.problem))));
            const bool first = pick == 0;
            for (int fault : {0, 1, 2, 3}) {
                if (fault && !first)
                    break; // the fault variants once per kernel
                auto withFault = macros;
                withFault.push_back("DV_FAULT=" + std::to_string(fault));
                report(name + " " + c.dump() + " DV_FAULT=" + std::to_string(fault),
                       compileSource(prelude + m.sourceText, m.launch.source, arch, withFault));
            }
        }
    }
    std::cout << (failures ? "FAILED: " + std::to_string(failures) + " compile(s)" : std::string("PASSED")) << '\n';
    return failures ? 1 : 0;
}

// The GPU self-test: exit 77 (CTest's skip) when there is no driver or GPU.
int selfTest(Options options)
{
    Worker worker(std::move(options));
    const std::string why = worker.initialise();
    if (!why.empty()) {
        std::cout << "SKIP: no usable GPU: " << why << '\n';
        return 77;
    }
    json last;
    worker.out = [&](const json& message) {
        std::cout << message.dump() << '\n' << std::flush;
        last = message;
    };
    worker.out(worker.hello());
    const json small = {{"gemm", {{"M", 512}, {"N", 256}, {"K", 96}}},
                        {"reduce", {{"n", 1000003}}},
                        {"conv2d", {{"H", 300}, {"W", 200}, {"F", 5}}}};
    const json timing = {{"warmup", 1},       {"repetitions", 3},   {"min_time_ms", 1},
                         {"max_repetitions", 10}, {"flush_l2", true}, {"timeout_ms", 60000}};
    int failures = 0;
    std::int64_t id = 0;
    for (const std::string& name : kernelNames(worker.tree())) {
        const json problem = small.contains(name) ? small[name] : json::object();
        worker.handle(json{{"type", "load"}, {"id", ++id}, {"kernel", name}, {"problem", problem}}.dump());
        if (last.value("type", "") != "loaded") {
            ++failures;
            continue;
        }
        const auto configs = worker.manifest()->enumerate();
        // The first and the last configuration must be right; the last one with a dropped
        // store must be caught.
        for (const json& c : {configs.front(), configs.back()}) {
            for (bool graph : {false, true}) {
                json opts = timing;
                opts["graph"] = graph;
                worker.handle(json{{"type", "evaluate"}, {"id", ++id}, {"config", c}, {"options", opts}}.dump());
                if (last.value("status", "") != "ok")
                    ++failures;
            }
        }
        worker.options().faults.emplace(3, configs.back());
        worker.handle(json{{"type", "load"}, {"id", ++id}, {"kernel", name}, {"problem", problem}}.dump());
        worker.handle(json{{"type", "evaluate"}, {"id", ++id}, {"config", configs.back()}, {"options", timing}}.dump());
        if (last.value("status", "") != "wrong_result") {
            say("a dropped store was not caught for " + name);
            ++failures;
        }
        worker.options().faults.clear();
    }
    std::cout << (failures ? "FAILED: " + std::to_string(failures) + " check(s)" : std::string("PASSED")) << '\n';
    return failures ? 1 : 0;
}

} // namespace
} // namespace dv

int main(int argc, char** argv)
{
    using namespace dv;
    const rlimit noCore{0, 0};
    setrlimit(RLIMIT_CORE, &noCore);

    Options options;
    std::string mode = "serve";
    std::string compileArch;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage("missing value after " + arg);
            return argv[++i];
        };
        if (arg == "--version" || arg == "--list-kernels" || arg == "--self-test") {
            mode = arg.substr(2);
        } else if (arg == "--compile-check") {
            mode = "compile-check";
            compileArch = value();
        } else if (arg == "--kernels-dir") {
            options.kernelsDir = value();
        } else if (arg == "--compile-threads") {
            options.compileThreads = std::atoi(value().c_str());
        } else if (arg == "--precompile") {
            options.precompile = true;
        } else if (arg == "--no-capabilities") {
            options.capabilities = false;
        } else if (arg == "--fault-illegal-address-on" || arg == "--fault-hang-on" || arg == "--fault-wrong-on") {
            const int fault = arg == "--fault-illegal-address-on" ? 1 : arg == "--fault-hang-on" ? 2 : 3;
            const std::string text = value();
            json match = json::parse(text, nullptr, false);
            if (!match.is_object())
                usage(arg + " expects a JSON object, got " + text);
            options.faults.emplace(fault, match);
        } else {
            usage("unknown argument " + arg);
        }
    }

    try {
        if (mode == "version") {
            int major = 0, minor = 0;
            dvRtcVersion(&major, &minor);
            std::cout << DV_PROGRAM " " << kWorkerVersion << " (backend " DV_BACKEND ", protocol " << kProtocolVersion
#if defined(DEJAVU_HIP)
                      << ", hiprtc "
#else
                      << ", built with CUDA " << CUDA_VERSION / 1000 << "." << CUDA_VERSION % 1000 / 10 << ", nvrtc "
#endif
                      << major << "." << minor << ", " << dvEmbeddedFileCount << " kernel files built in)\n";
            return 0;
        }
        if (mode == "list-kernels")
            return listKernels(readTree(options.kernelsDir));
        if (mode == "self-test")
            return selfTest(options);
        if (mode == "compile-check")
            return compileCheck(readTree(options.kernelsDir), compileArch);

        Worker worker(options);
        const std::string why = worker.initialise();
        if (!why.empty()) {
            say(why);
            return 2;
        }
        worker.out(worker.hello());
        dv::worker::serveRequests(std::cin, worker.handlers());
    } catch (const std::exception& e) {
        say(e.what());
        return 2;
    }
    return 0;
}

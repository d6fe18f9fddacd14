// dejavu-test-worker: speaks the worker protocol (docs/worker-protocol.md) with a synthetic
// kernel whose time is a smooth function of its configuration, and misbehaves on request, so
// that the engine's fault handling can be tested without a GPU.
//
//   dejavu-test-worker [--FAULT-on JSON]... [--hello MODE] [--load MODE] [--shutdown MODE]
//                      [--fork-child PIDFILE] [--trace FILE] [--delay-ms N] [--prepare yes|garbage]
//
// FAULT is one of segv, abort, exit, hang, wrong, compile-error, runtime-error, garbage,
// error-reply, bad-measurement, stale-id, lucky, unverified; JSON is an object of parameter
// values, and the fault happens for every configuration holding all of them ('{}' matches every
// configuration). "lucky" makes the first evaluation of a configuration (in this process) 40 %
// faster than every later one, as a clock boost would; "unverified" answers ok with
// extra "verified": false. --hello MODE is normal, garbage, version, silent, die or flood (bytes
// without a newline, for ever), and changes the first line. --load hang never answers `load`;
// --load huge-space announces a space of 10^12 combinations whose only constraint rules out
// all of them and involves the last parameter, so that nothing prunes it. --shutdown hang never
// answers `shutdown` nor exits. --fork-child PIDFILE starts a child that sleeps for ever (in
// the worker's process group, sharing its stdout) and writes "CHILD_PID WORKER_PID" to PIDFILE
// before its hello, so that a test can check nothing outlives the worker. --trace FILE appends
// the type of every request, one per line, as it arrives (a test knows which wait it interrupts). --prepare yes announces the capability "prepare", answers `prepare` at once and
// marks each later measurement of an announced configuration with extra "prepared": true;
// --prepare garbage announces it and answers `prepare` with a line that is not JSON.
// --loaded-extra JSON sends that object as the `loaded` answer's extra.
// --device-names A,B,... names the device after the GPU it is pinned to: the entry of the list
// at the index CUDA_VISIBLE_DEVICES holds (a pool of several GPU types, for the engine's tests).

#include "worker_json.h"
#include "worker_loop.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using json = nlohmann::json;
using dv::worker::RequestError;
using dv::worker::arrayField;
using dv::worker::field;
using dv::worker::matches;
using dv::worker::quantile;

namespace {

constexpr int kProtocolVersion = 1;

struct Options {
    std::multimap<std::string, json> faults; // fault name -> partial configuration
    std::string helloMode = "normal";
    std::string loadMode = "normal";
    std::string shutdownMode = "normal";
    std::string childPidFile;
    std::string traceFile;
    int delayMs = 0;
    std::string prepare; // "", "yes" or "garbage"
    json loadedExtra;    // sent as loaded.extra when it is an object
    std::vector<std::string> deviceNames; // by CUDA_VISIBLE_DEVICES index
};

const std::vector<std::string> kFaults = {"segv",  "abort",         "exit",        "hang",
                                          "wrong", "compile-error", "runtime-error", "garbage",
                                          "error-reply", "bad-measurement", "stale-id", "lucky", "unverified"};

void send(const json& message)
{
    std::cout << message.dump() << '\n' << std::flush;
}

void say(const std::string& text)
{
    std::cerr << "dejavu-test-worker: " << text << '\n' << std::flush;
}

[[noreturn]] void usage(const std::string& problem)
{
    std::cerr << "dejavu-test-worker: " << problem << "\n"
              << "usage: dejavu-test-worker [--FAULT-on JSON]... [--hello normal|garbage|version|silent|die|flood]"
                 " [--load normal|hang|huge-space] [--shutdown normal|hang] [--fork-child PIDFILE] [--trace FILE] [--delay-ms N]"
                 " [--prepare yes|garbage] [--loaded-extra JSON] [--device-names A,B,...]\n";
    std::exit(2);
}

Options parseArguments(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc)
            usage("missing value after " + arg);
        const std::string value = argv[++i];
        if (arg == "--hello") {
            options.helloMode = value;
        } else if (arg == "--load") {
            if (value != "normal" && value != "hang" && value != "huge-space")
                usage("--load expects normal, hang or huge-space, got " + value);
            options.loadMode = value;
        } else if (arg == "--shutdown") {
            if (value != "normal" && value != "hang")
                usage("--shutdown expects normal or hang, got " + value);
            options.shutdownMode = value;
        } else if (arg == "--fork-child") {
            options.childPidFile = value;
        } else if (arg == "--trace") {
            options.traceFile = value;
        } else if (arg == "--delay-ms") {
            options.delayMs = std::atoi(value.c_str());
        } else if (arg == "--loaded-extra") {
            options.loadedExtra = json::parse(value, nullptr, false);
            if (!options.loadedExtra.is_object())
                usage("--loaded-extra expects a JSON object, got " + value);
        } else if (arg == "--device-names") {
            std::string rest = value;
            for (size_t comma; (comma = rest.find(',')) != std::string::npos; rest = rest.substr(comma + 1))
                options.deviceNames.push_back(rest.substr(0, comma));
            options.deviceNames.push_back(rest);
        } else if (arg == "--prepare") {
            if (value != "yes" && value != "garbage")
                usage("--prepare expects yes or garbage, got " + value);
            options.prepare = value;
        } else if (arg.size() > 5 && arg.compare(0, 2, "--") == 0 && arg.compare(arg.size() - 3, 3, "-on") == 0) {
            const std::string fault = arg.substr(2, arg.size() - 5);
            if (std::find(kFaults.begin(), kFaults.end(), fault) == kFaults.end())
                usage("unknown fault '" + fault + "'");
            json match = json::parse(value, nullptr, false);
            if (!match.is_object())
                usage(arg + " expects a JSON object, got " + value);
            options.faults.emplace(fault, match);
        } else {
            usage("unknown argument " + arg);
        }
    }
    return options;
}

// The synthetic kernel: three parameters, one constraint, a smooth landscape.
struct Param {
    const char* name;
    std::vector<int> values;
};
const std::vector<Param> kParams = {{"BLOCK", {16, 32, 64, 128, 256}}, {"UNROLL", {1, 2, 4, 8}}, {"VEC", {1, 2, 4}}};

json spaceJson()
{
    json params = json::array();
    for (const Param& p : kParams)
        params.push_back({{"name", p.name}, {"values", p.values}});
    return {{"name", "synthetic"}, {"parameters", params}, {"constraints", {"BLOCK * UNROLL <= 1024"}}};
}

// Six parameters of 100 values (10^12 combinations) and a constraint over the last one that no
// combination meets: an enumeration cannot prune a single prefix.
json hugeSpaceJson()
{
    json params = json::array();
    std::vector<int> values(100);
    for (int i = 0; i < 100; ++i)
        values[size_t(i)] = i;
    for (int p = 0; p < 6; ++p)
        params.push_back({{"name", "P" + std::to_string(p)}, {"values", values}});
    return {{"name", "huge"}, {"parameters", params}, {"constraints", {"P0 + P5 > 1000"}}};
}

// Why `config` is not a member of the space, or "".
std::string invalidReason(const json& config)
{
    for (const Param& p : kParams) {
        if (!config.contains(p.name))
            return std::string("missing parameter ") + p.name;
        const json& v = config[p.name];
        if (!v.is_number_integer() || std::find(p.values.begin(), p.values.end(), v.get<int>()) == p.values.end())
            return std::string("value ") + v.dump() + " of " + p.name + " is not in the space";
    }
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (std::none_of(kParams.begin(), kParams.end(), [&](const Param& p) { return it.key() == p.name; }))
            return "unknown parameter " + it.key();
    }
    if (config["BLOCK"].get<int>() * config["UNROLL"].get<int>() > 1024)
        return "violates BLOCK * UNROLL <= 1024";
    return {};
}

double syntheticMs(const json& config, std::int64_t n)
{
    const double b = std::log2(config["BLOCK"].get<double>()) - 6.0;
    const double u = std::log2(config["UNROLL"].get<double>()) - 1.5;
    const double v = config["VEC"].get<double>() - 2.5;
    return 0.05 * double(n) / 1024.0 * (1.0 + 0.3 * b * b) * (1.0 + 0.2 * u * u) * (1.0 + 0.1 * v * v);
}

std::uint64_t fnv1a(const std::string& text)
{
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

class Worker {
public:
    explicit Worker(Options options)
        : m_options(std::move(options))
    {}

    void hello()
    {
        if (m_options.helloMode == "garbage") {
            std::cout << "Welcome to the test worker!\n" << std::flush;
            return;
        }
        if (m_options.helloMode == "silent") {
            for (;;)
                pause();
        }
        if (m_options.helloMode == "die") {
            say("cannot initialise the device: no CUDA-capable device is detected");
            std::_Exit(2);
        }
        if (m_options.helloMode == "flood") {
            const std::string chunk(1 << 16, 'x');
            for (;;)
                std::cout << chunk << std::flush; // ends when the engine closes the pipe (SIGPIPE)
        }
        std::string name = "Synthetic Test Device";
        if (!m_options.deviceNames.empty()) {
            const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
            const int gpu = visible ? std::atoi(visible) : 0;
            if (gpu < 0 || size_t(gpu) >= m_options.deviceNames.size()) {
                say("CUDA_VISIBLE_DEVICES=" + std::string(visible ? visible : "") + " is not in --device-names");
                std::_Exit(2);
            }
            name = m_options.deviceNames[size_t(gpu)];
        }
        json device = {{"index", 0},     {"name", name}, {"arch", "synthetic"},
                       {"multiprocessors", 4}, {"memory_bytes", std::int64_t(1) << 30}};
        json hello = {{"type", "hello"},
                      {"protocol", m_options.helloMode == "version" ? 99 : kProtocolVersion},
                      {"backend", "test"},
                      {"pid", std::int64_t(getpid())},
                      {"devices", json::array({device})},
                      {"versions", {{"worker", "1.0"}}}};
        if (!m_options.prepare.empty())
            hello["capabilities"] = json::array({"prepare"});
        send(hello);
    }

    // What each request does; the shared loop (worker_loop.h) reads the lines and answers errors.
    dv::worker::RequestHandlers handlers()
    {
        dv::worker::RequestHandlers h;
        h.send = send;
        h.load = [this](const json& request) { load(request); };
        h.evaluate = [this](const json& request) { evaluate(request); };
        if (!m_options.prepare.empty())
            h.prepare = [this](const json& request) { prepare(request); };
        if (!m_options.traceFile.empty())
            h.received = [this](const std::string& type) { std::ofstream(m_options.traceFile, std::ios::app) << type << '\n'; };
        if (m_options.shutdownMode == "hang") {
            h.shutdown = [] {
                say("shutdown ignored");
                for (;;)
                    pause();
            };
        }
        return h;
    }

private:
    void load(const json& request)
    {
        if (m_options.loadMode == "hang") {
            say("loading never ends");
            for (;;)
                pause();
        }
        const auto kernel = field<std::string>(request, "load", "kernel", false, "synthetic");
        if (kernel != "synthetic")
            throw RequestError("unknown_kernel", "unknown kernel '" + kernel + "' (this worker has: synthetic)");
        const auto problem = field<json>(request, "load", "problem");
        if (field<std::int64_t>(request, "load", "device", false, 0) != 0)
            throw RequestError("bad_request", "load.device: this worker has only device 0");
        std::int64_t n = 1024;
        for (auto it = problem.begin(); it != problem.end(); ++it) {
            if (it.key() != "n" || !it->is_number_integer() || it->get<std::int64_t>() < 1)
                throw RequestError("bad_problem", "problem." + it.key() + ": expected n, an integer >= 1");
            n = it->get<std::int64_t>();
        }
        m_n = n;
        json loaded = {{"type", "loaded"},
                       {"id", request["id"]},
                       {"kernel", "synthetic"},
                       {"problem", json{{"n", n}}.dump()},
                       {"identity", "synthetic@1"},
                       {"space", m_options.loadMode == "huge-space" ? hugeSpaceJson() : spaceJson()}};
        if (m_options.loadedExtra.is_object())
            loaded["extra"] = m_options.loadedExtra;
        send(loaded);
    }

    void prepare(const json& request)
    {
        if (m_n == 0)
            throw RequestError("not_loaded", "prepare before load");
        if (!request.contains("configs") || !request["configs"].is_array())
            throw RequestError("bad_request", "prepare.configs: expected an array");
        say("prepare " + request["configs"].dump());
        if (m_options.prepare == "garbage") {
            std::cout << "compiling ahead...\n" << std::flush;
            return;
        }
        int queued = 0;
        for (const json& c : request["configs"]) {
            if (m_prepared.insert(c.dump()).second)
                ++queued;
        }
        send({{"type", "prepared"}, {"id", request["id"]}, {"queued", queued}});
    }

    bool fault(const std::string& name, const json& config) const
    {
        const auto range = m_options.faults.equal_range(name);
        return std::any_of(range.first, range.second, [&](const auto& f) { return matches(config, f.second); });
    }

    void evaluate(const json& request)
    {
        if (m_n == 0)
            throw RequestError("not_loaded", "evaluate before load");
        const json id = request["id"];
        const auto config = field<json>(request, "evaluate", "config");
        const auto options = field<json>(request, "evaluate", "options");
        const auto warmup = field<int>(options, "evaluate.options", "warmup");
        const auto repetitions = field<int>(options, "evaluate.options", "repetitions");
        const auto minTimeMs = field<double>(options, "evaluate.options", "min_time_ms");
        const auto maxRepetitions = field<int>(options, "evaluate.options", "max_repetitions");
        const bool flushL2 = field<bool>(options, "evaluate.options", "flush_l2");
        const bool graph = field<bool>(options, "evaluate.options", "graph", false, false);
        field<double>(options, "evaluate.options", "timeout_ms");
        (void)warmup;

        say("evaluating " + config.dump());
        if (m_options.delayMs > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(m_options.delayMs));

        json answer = {{"type", "measurement"}, {"id", id}, {"samples_ms", json::array()}};
        const std::string invalid = invalidReason(config);
        if (!invalid.empty()) {
            answer["status"] = "invalid";
            answer["error"] = invalid;
            send(answer);
            return;
        }
        if (fault("segv", config)) {
            say("CUDA error: an illegal memory access was encountered (address 0x0) for " + config.dump());
            std::signal(SIGSEGV, SIG_DFL);
            std::raise(SIGSEGV);
        }
        if (fault("abort", config)) {
            say("assertion 'tile < shared_size' failed for " + config.dump());
            std::abort();
        }
        if (fault("exit", config)) {
            say("fatal: giving up on " + config.dump());
            std::_Exit(3); // no atexit handlers: a sanitizer's leak check must not change the code
        }
        if (fault("hang", config)) {
            say("launched " + config.dump() + "; it never returns");
            for (;;)
                pause();
        }
        if (fault("garbage", config)) {
            std::cout << "Segmentation fault (core dumped)? no: just a stray print from a library\n" << std::flush;
            return;
        }
        if (fault("error-reply", config))
            throw RequestError("internal", "the kernel cache is corrupt");
        if (fault("bad-measurement", config)) {
            send({{"type", "measurement"}, {"id", id}, {"status", "fast"}, {"samples_ms", json::array()}});
            return;
        }
        if (fault("stale-id", config)) {
            send({{"type", "measurement"}, {"id", id.get<std::int64_t>() + 1000}, {"status", "ok"},
                  {"samples_ms", {1.0}}, {"objective_ms", 1.0}, {"p20_ms", 1.0}, {"p80_ms", 1.0}});
            return;
        }

        const int block = config["BLOCK"].get<int>();
        const int unroll = config["UNROLL"].get<int>();
        answer["compile_ms"] = 20.0 + 2.0 * unroll;
        if (fault("compile-error", config)) {
            answer["status"] = "compile_error";
            answer["error"] = "synthetic.cu(42): error: too many unrolled iterations (UNROLL=" + std::to_string(unroll) + ")";
            send(answer);
            return;
        }
        if (fault("runtime-error", config)) {
            answer["status"] = "runtime_error";
            answer["error"] = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: too many resources requested for launch";
            send(answer);
            return;
        }
        if (fault("wrong", config)) {
            answer["status"] = "wrong_result";
            answer["error"] = "output differs from the reference: max abs error 0.5 at index 17 (tolerance 0.001)";
            send(answer);
            return;
        }

        double t = syntheticMs(config, m_n);
        if (fault("lucky", config) && m_evaluated.insert(config.dump()).second)
            t *= 0.6; // the first time only
        int count = std::max(repetitions, int(std::ceil(minTimeMs / t)));
        count = std::max(1, std::min(count, maxRepetitions));
        std::mt19937_64 rng(fnv1a(config.dump()));
        std::uniform_real_distribution<double> noise(-0.01, 0.01);
        std::vector<double> samples;
        for (int i = 0; i < count; ++i)
            samples.push_back(t * (1.0 + noise(rng)));
        answer["status"] = "ok";
        answer["samples_ms"] = samples;
        answer["objective_ms"] = quantile(samples, 0.5);
        answer["p20_ms"] = quantile(samples, 0.2);
        answer["p80_ms"] = quantile(samples, 0.8);
        answer["registers"] = 32 + 8 * unroll;
        answer["shared_memory_bytes"] = block * unroll * 4 * config["VEC"].get<int>();
        answer["clock_mhz"] = 1980;
        answer["temperature_c"] = 41.5;
        // What the engine asked for, so that tests can see the options arrive.
        json extra = {{"flush_l2", flushL2}, {"graph", graph}};
        if (m_prepared.count(config.dump()))
            extra["prepared"] = true;
        if (fault("unverified", config))
            extra["verified"] = false;
        answer["extra"] = extra;
        send(answer);
    }

    Options m_options;
    std::int64_t m_n = 0;
    std::set<std::string> m_prepared;  // configurations announced with prepare (as dumped JSON)
    std::set<std::string> m_evaluated; // configurations evaluated once (for "lucky")
};

} // namespace

int main(int argc, char** argv)
{
    // Injected crashes must not litter the working directory with core files.
    const rlimit noCore{0, 0};
    setrlimit(RLIMIT_CORE, &noCore);

    const Options options = parseArguments(argc, argv);
    if (!options.childPidFile.empty()) {
        // A child that would outlive the worker if the engine killed only the worker itself.
        const pid_t child = fork();
        if (child == 0) {
            for (;;)
                pause();
        }
        if (child < 0) {
            say("fork failed");
            return 2;
        }
        std::ofstream(options.childPidFile) << child << ' ' << getpid() << '\n';
    }
    Worker worker(options);
    worker.hello();
    dv::worker::serveRequests(std::cin, worker.handlers());
    return 0; // end of input: the engine has gone
}

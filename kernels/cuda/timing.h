#pragma once

// How the native GPU worker times a kernel that has been verified and warmed up: CUDA (or HIP)
// events around each launch, or around one replay of a graph of kGraphLaunches launches, the L2
// flushed before each when asked, until the repetitions and the minimum time are reached, the
// maximum is hit, or half the engine's timeout has passed (docs/worker-protocol.md, `evaluate`).

#include "gpu.h"
#include "gpu_error.h"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace dv {

struct EventTimer {
    static constexpr int kGraphLaunches = 20; // kernel launches per CUDA-graph replay

    /// The request's evaluate.options that decide how long to time.
    struct Options {
        int repetitions = 0;
        int maxRepetitions = 0;
        double minTimeMs = 0;
        double timeoutMs = 0;
        bool flushL2 = false;
        bool graph = false;
    };

    dvStream stream;
    dvEvent start, stop;
    dvDevPtr flush;         // the L2 flush buffer
    std::size_t flushBytes; // its size

    /// The samples in ms (per launch with a graph). `launchOnce` launches the kernel once on the
    /// stream, `wait` synchronises it, `elapsedMs` is the time since the request arrived.
    std::vector<double> time(const Options& o, const std::function<void(const std::string& what)>& launchOnce,
                             const std::function<void(const std::string& what)>& wait,
                             const std::function<double()>& elapsedMs) const
    {
        dvGraph g{};
        dvGraphExec exec{};
        struct GraphGuard {
            dvGraph& g;
            dvGraphExec& e;
            ~GraphGuard()
            {
                if (e)
                    (void)dvGraphExecDestroy(e);
                if (g)
                    (void)dvGraphDestroy(g);
            }
        } graphGuard{g, exec};
        if (o.graph) {
            check(dvStreamBeginCapture(stream), "capturing a graph");
            for (int i = 0; i < kGraphLaunches; ++i)
                launchOnce("capturing a launch");
            check(dvStreamEndCapture(stream, &g), "ending the capture");
            check(dvGraphInstantiate(&exec, g), "instantiating the graph");
            check(dvGraphLaunch(exec, stream), "graph warm-up");
            wait("graph warm-up");
        }

        std::vector<double> samples;
        double totalMs = 0.0;
        const std::size_t flushWords = flushBytes / 4;
        while (int(samples.size()) < o.maxRepetitions
               && (int(samples.size()) < o.repetitions || totalMs < o.minTimeMs)) {
            if (!samples.empty() && elapsedMs() > 0.5 * o.timeoutMs)
                break; // answer before the engine's deadline with what we have
            if (o.flushL2)
                check(dvMemsetD32Async(flush, unsigned(samples.size()) + 1u, flushWords, stream), "flushing L2");
            check(dvEventRecord(start, stream), "recording an event");
            if (o.graph)
                check(dvGraphLaunch(exec, stream), "launching the graph");
            else
                launchOnce("timed launch");
            check(dvEventRecord(stop, stream), "recording an event");
            wait("timed run");
            float ms = 0.0f;
            check(dvEventElapsedTime(&ms, start, stop), "reading the events");
            const double sample = o.graph ? double(ms) / kGraphLaunches : double(ms);
            samples.push_back(sample);
            totalMs += double(ms);
        }
        return samples;
    }
};

} // namespace dv

// Run-time compilation (NVRTC or hiprtc) and the compile pool that compiles ahead.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dv {

struct CompileResult {
    bool ok = false;
    std::string code;  // cubin (CUDA) or code object (HIP)
    std::string log;   // compiler output (the error when !ok)
    double ms = 0.0;   // the compile's own duration
};

/// Compiles one translation unit for `arch` with the given -D macros.
CompileResult compileSource(const std::string& source, const std::string& name, const std::string& arch,
                            const std::vector<std::string>& macros);

/// Compiles configurations on `threads` background threads; a configuration asked for before
/// its turn is compiled by the asking thread at once.
class CompilePool {
public:
    struct Job {
        std::string source, name, arch;
        std::vector<std::string> macros;
        enum class State { Queued, Running, Done } state = State::Queued;
        CompileResult result;
    };

    explicit CompilePool(unsigned threads);
    ~CompilePool();
    CompilePool(const CompilePool&) = delete;
    CompilePool& operator=(const CompilePool&) = delete;

    /// Queues a compile under `key` unless one exists; true when newly queued.
    bool enqueue(const std::string& key, std::shared_ptr<Job> job);
    /// The result for `key`, compiling here if it is still queued and waiting if it runs.
    CompileResult get(const std::string& key, std::shared_ptr<Job> job);
    /// Drops every job not yet started and forgets the results (a new kernel was loaded).
    void clear();
    unsigned threads() const { return unsigned(m_threads.size()); }

private:
    void run();
    static void compile(Job& job);

    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    std::deque<std::shared_ptr<Job>> m_queue;
    std::map<std::string, std::shared_ptr<Job>> m_jobs;
    std::vector<std::thread> m_threads;
    bool m_stop = false;
};

} // namespace dv

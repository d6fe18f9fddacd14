#include "compiler.h"

#include "gpu.h"

#include <chrono>

namespace dv {

CompileResult compileSource(const std::string& source, const std::string& name, const std::string& arch,
                            const std::vector<std::string>& macros)
{
    CompileResult out;
    const auto start = std::chrono::steady_clock::now();
    // The macros become #define lines at the top of the source rather than -D options: hiprtc
    // puts its runtime headers before the source, and -DF=7 would rewrite their "typename F".
    std::string text;
    for (const std::string& m : macros) {
        const auto eq = m.find('=');
        text += "#define " + m.substr(0, eq) + " " + (eq == std::string::npos ? std::string("1") : m.substr(eq + 1)) + "\n";
    }
    text += "#line 1\n" + source;
    dvRtcProgram program = nullptr;
    dvRtcResult r = dvRtcCreateProgram(&program, text.c_str(), name.c_str(), 0, nullptr, nullptr);
    if (r != DV_RTC_SUCCESS) {
        out.log = std::string("cannot create the program: ") + dvRtcGetErrorString(r);
        return out;
    }
    std::vector<std::string> options = {dvArchOption(arch), "-std=c++17"};
    std::vector<const char*> argv;
    for (const std::string& o : options)
        argv.push_back(o.c_str());
    r = dvRtcCompileProgram(program, int(argv.size()), argv.data());
    std::size_t logSize = 0;
    if (dvRtcGetProgramLogSize(program, &logSize) == DV_RTC_SUCCESS && logSize > 1) {
        out.log.resize(logSize);
        dvRtcGetProgramLog(program, &out.log[0]);
        out.log.resize(logSize - 1);
    }
    if (r == DV_RTC_SUCCESS) {
        std::size_t size = 0;
        if (dvRtcGetCodeSize(program, &size) == DV_RTC_SUCCESS && size > 0) {
            out.code.resize(size);
            out.ok = dvRtcGetCode(program, &out.code[0]) == DV_RTC_SUCCESS;
        }
        if (!out.ok)
            out.log += "\nthe compiler produced no code";
    } else if (out.log.empty()) {
        out.log = dvRtcGetErrorString(r);
    }
    dvRtcDestroyProgram(&program);
    out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return out;
}

CompilePool::CompilePool(unsigned threads)
{
    for (unsigned i = 0; i < threads; ++i)
        m_threads.emplace_back([this] { run(); });
}

CompilePool::~CompilePool()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
        m_queue.clear();
    }
    m_wake.notify_all();
    for (std::thread& t : m_threads)
        t.join();
}

void CompilePool::compile(Job& job)
{
    job.result = compileSource(job.source, job.name, job.arch, job.macros);
}

bool CompilePool::enqueue(const std::string& key, std::shared_ptr<Job> job)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_jobs.count(key))
            return false;
        m_jobs[key] = job;
        if (m_threads.empty())
            return true; // compiled when asked for
        m_queue.push_back(std::move(job));
    }
    m_wake.notify_one();
    return true;
}

CompileResult CompilePool::get(const std::string& key, std::shared_ptr<Job> job)
{
    std::unique_lock<std::mutex> lock(m_mutex);
    auto it = m_jobs.find(key);
    if (it == m_jobs.end())
        it = m_jobs.emplace(key, std::move(job)).first;
    std::shared_ptr<Job> mine = it->second;
    if (mine->state == Job::State::Queued) {
        mine->state = Job::State::Running; // a pool thread that pops it later skips it
        lock.unlock();
        compile(*mine);
        lock.lock();
        mine->state = Job::State::Done;
        m_done.notify_all();
    }
    m_done.wait(lock, [&] { return mine->state == Job::State::Done; });
    return mine->result;
}

void CompilePool::clear()
{
    std::unique_lock<std::mutex> lock(m_mutex);
    m_queue.clear();
    // running jobs finish into their own Job objects, which the map no longer holds
    m_jobs.clear();
}

void CompilePool::run()
{
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || !m_queue.empty(); });
            if (m_stop)
                return;
            job = m_queue.front();
            m_queue.pop_front();
            if (job->state != Job::State::Queued)
                continue;
            job->state = Job::State::Running;
        }
        compile(*job);
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            job->state = Job::State::Done;
        }
        m_done.notify_all();
    }
}

} // namespace dv

#pragma once

// The request loop every C++ worker runs (docs/worker-protocol.md): read a line, answer it, until
// `shutdown` or the end of input. The envelope is the protocol's and the same for every worker: a
// line that is not a JSON object, a missing or mistyped "type" or "id", and an unknown request are
// answered with an error (the worker stays usable); `shutdown` is answered with "bye". What a
// request does is the worker's (RequestHandlers). Header-only, no Qt: shared by
// dejavu-test-worker and dejavu-cuda-worker / dejavu-hip-worker.

#include "worker_json.h"

#include <cstdint>
#include <exception>
#include <functional>
#include <istream>
#include <string>

namespace dv::worker {

/// What a worker does with each request; the loop does the rest.
struct RequestHandlers {
    std::function<void(const json& message)> send; ///< writes one answer line
    std::function<void(const json& request)> load, evaluate;
    std::function<void(const json& request)> prepare; ///< empty: `prepare` is "unsupported"
    std::function<void(const std::string& type)> received; ///< optional: sees each request's type first
    std::function<void()> shutdown; ///< optional: runs before "bye" is sent
    /// Optional: an exception other than RequestError is shown to it (it may end the process) and
    /// then answered with code "internal"; without it such an exception propagates.
    std::function<void(const std::exception& e)> internalError;
};

/// Answers one request line; false after `shutdown`.
inline bool handleRequest(const std::string& line, const RequestHandlers& h)
{
    json request = json::parse(line, nullptr, false);
    json id = nullptr;
    try {
        if (!request.is_object())
            throw RequestError("bad_request", "not a JSON object: " + line.substr(0, 80));
        if (request.contains("id") && request["id"].is_number_integer())
            id = request["id"];
        const auto type = field<std::string>(request, "request", "type");
        field<std::int64_t>(request, type, "id");
        if (h.received)
            h.received(type);
        if (type == "load") {
            h.load(request);
        } else if (type == "evaluate") {
            h.evaluate(request);
        } else if (type == "prepare" && h.prepare) {
            h.prepare(request);
        } else if (type == "shutdown") {
            if (h.shutdown)
                h.shutdown();
            h.send({{"type", "bye"}, {"id", id}});
            return false;
        } else {
            throw RequestError("unsupported", "unknown request type '" + type + "'");
        }
    } catch (const RequestError& e) {
        h.send({{"type", "error"}, {"id", id}, {"code", e.code}, {"message", e.what()}});
    } catch (const std::exception& e) {
        if (!h.internalError)
            throw;
        h.internalError(e);
        h.send({{"type", "error"}, {"id", id}, {"code", "internal"}, {"message", e.what()}});
    }
    return true;
}

/// Answers request lines from `in` (blank lines skipped) until `shutdown` or the end of input.
inline void serveRequests(std::istream& in, const RequestHandlers& h)
{
    std::string line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        if (!handleRequest(line, h))
            break;
    }
}

} // namespace dv::worker

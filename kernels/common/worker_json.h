#pragma once

// What every C++ worker needs to read requests of the worker protocol (docs/worker-protocol.md)
// and to summarise samples: strict typed field access, the error a request is answered with,
// the configuration filter of the fault flags, and the protocol's percentile rule. Header-only,
// no Qt: shared by dejavu-test-worker and dejavu-cuda-worker / dejavu-hip-worker.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace dv::worker {

using json = nlohmann::json;

/// A request the worker cannot serve: answered with {"type":"error","code":CODE,...}; the worker stays usable.
struct RequestError : std::runtime_error {
    RequestError(std::string errorCode, const std::string& message)
        : std::runtime_error(message)
        , code(std::move(errorCode))
    {}
    std::string code;
};

/// `object[key]` as T, strictly typed (json: an object). A missing or null field is an error when
/// `required`, else `fallback`; `where` names the request in the message ("evaluate.options").
template <typename T>
T field(const json& object, const std::string& where, const char* key, bool required = true, T fallback = T())
{
    if (!object.contains(key) || object[key].is_null()) {
        if (required)
            throw RequestError("bad_request", where + ": missing field '" + key + "'");
        return fallback;
    }
    const json& v = object[key];
    bool ok = false;
    if constexpr (std::is_same_v<T, std::string>)
        ok = v.is_string();
    else if constexpr (std::is_same_v<T, bool>)
        ok = v.is_boolean();
    else if constexpr (std::is_integral_v<T>)
        ok = v.is_number_integer();
    else if constexpr (std::is_floating_point_v<T>)
        ok = v.is_number();
    else
        ok = v.is_object();
    if (!ok)
        throw RequestError("bad_request", where + "." + key + ": wrong type, got " + v.dump());
    return v.get<T>();
}

/// A required array field.
inline json arrayField(const json& object, const std::string& where, const char* key)
{
    if (!object.contains(key) || !object[key].is_array())
        throw RequestError("bad_request", where + "." + key + ": expected an array"
                                              + (object.contains(key) ? ", got " + object[key].dump() : std::string()));
    return object[key];
}

/// True when `config` holds every name and value of `partial` ({} matches everything).
inline bool matches(const json& config, const json& partial)
{
    for (auto it = partial.begin(); it != partial.end(); ++it) {
        if (!config.contains(it.key()) || config[it.key()] != it.value())
            return false;
    }
    return true;
}

/// The q-quantile of non-empty `samples` with linear interpolation (the protocol's p20/p80 rule).
inline double quantile(std::vector<double> samples, double q)
{
    std::sort(samples.begin(), samples.end());
    const double pos = q * double(samples.size() - 1);
    const auto lo = std::size_t(std::floor(pos));
    const auto hi = std::min(lo + 1, samples.size() - 1);
    return samples[lo] + (samples[hi] - samples[lo]) * (pos - double(lo));
}

} // namespace dv::worker

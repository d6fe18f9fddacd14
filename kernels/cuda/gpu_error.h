#pragma once

// A failed driver call of the native GPU worker, with the driver's name and text for the result;
// dvIsSticky (gpu.h) tells whether the context survives it.

#include "gpu.h"

#include <stdexcept>
#include <string>

namespace dv {

struct GpuError : std::runtime_error {
    GpuError(dvResult r, const std::string& what)
        : std::runtime_error(what + ": " + dvErrorName(r) + " (" + dvErrorString(r) + ")")
        , result(r)
    {}
    dvResult result;
};

inline void check(dvResult r, const std::string& what)
{
    if (r != DV_SUCCESS)
        throw GpuError(r, what);
}

} // namespace dv

// The thin portability layer of the native worker: one set of dv* names for the CUDA driver API
// + NVRTC and for HIP + hiprtc. The worker's code uses only these names, so the same source
// builds dejavu-cuda-worker and (with DEJAVU_HIP defined) dejavu-hip-worker.
//
// CUDA: libcuda.so.1 is opened with dlopen at run time (so the worker starts, prints its
// version and lists its kernels on a machine without a driver, and says why it cannot
// initialise instead of failing to load); NVRTC is linked. HIP: libamdhip64 (with hiprtc) is
// linked.
#pragma once

#include <cstddef>
#include <string>

#if defined(DEJAVU_HIP)

#include <hip/hip_runtime_api.h>
#include <hip/hiprtc.h>

#define DV_BACKEND "hip"
using dvResult = hipError_t;
using dvDevice = hipDevice_t;
using dvModule = hipModule_t;
using dvFunction = hipFunction_t;
using dvStream = hipStream_t;
using dvEvent = hipEvent_t;
using dvGraph = hipGraph_t;
using dvGraphExec = hipGraphExec_t;
using dvDevPtr = hipDeviceptr_t;
using dvRtcProgram = hiprtcProgram;
using dvRtcResult = hiprtcResult;
#define DV_SUCCESS hipSuccess
#define DV_RTC_SUCCESS HIPRTC_SUCCESS
#define DV_ERROR_NOT_READY hipErrorNotReady

#define dvDeviceGet hipDeviceGet
#define dvDeviceGetCount hipGetDeviceCount
#define dvDeviceGetName hipDeviceGetName
#define dvDeviceTotalMem hipDeviceTotalMem
#define dvDriverGetVersion hipDriverGetVersion
#define dvModuleLoadData hipModuleLoadData
#define dvModuleGetFunction hipModuleGetFunction
#define dvModuleUnload hipModuleUnload
#define dvLaunchKernel hipModuleLaunchKernel
#define dvMemcpyHtoD hipMemcpyHtoD
#define dvMemcpyDtoH hipMemcpyDtoH
#define dvMemsetD8 hipMemsetD8
#define dvMemsetD32 hipMemsetD32
#define dvMemsetD32Async hipMemsetD32Async
#define dvMemFree hipFree
#define dvStreamQuery hipStreamQuery
#define dvStreamSynchronize hipStreamSynchronize
#define dvStreamDestroy hipStreamDestroy
#define dvEventRecord hipEventRecord
#define dvEventElapsedTime hipEventElapsedTime
#define dvEventDestroy hipEventDestroy
#define dvStreamEndCapture hipStreamEndCapture
#define dvGraphLaunch hipGraphLaunch
#define dvGraphExecDestroy hipGraphExecDestroy
#define dvGraphDestroy hipGraphDestroy
#define dvFuncGetAttribute hipFuncGetAttribute
#define DV_FUNC_ATTRIBUTE_NUM_REGS HIP_FUNC_ATTRIBUTE_NUM_REGS
#define DV_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES HIP_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES
#define DV_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK

#define dvRtcCreateProgram hiprtcCreateProgram
#define dvRtcCompileProgram hiprtcCompileProgram
#define dvRtcGetProgramLogSize hiprtcGetProgramLogSize
#define dvRtcGetProgramLog hiprtcGetProgramLog
#define dvRtcGetCodeSize hiprtcGetCodeSize
#define dvRtcGetCode hiprtcGetCode
#define dvRtcDestroyProgram hiprtcDestroyProgram
#define dvRtcGetErrorString hiprtcGetErrorString
#define dvRtcVersion hiprtcVersion

inline std::string dvLoadDriver() { return {}; } // linked: nothing to load
inline dvResult dvInit() { return hipInit(0); }
inline const char* dvErrorName(dvResult r) { return hipGetErrorName(r); }
inline const char* dvErrorString(dvResult r) { return hipGetErrorString(r); }
inline dvResult dvDeviceAttribute(int* value, hipDeviceAttribute_t attribute, dvDevice device)
{
    return hipDeviceGetAttribute(value, attribute, device);
}
#define DV_ATTR_MULTIPROCESSORS hipDeviceAttributeMultiprocessorCount
#define DV_ATTR_L2_BYTES hipDeviceAttributeL2CacheSize
inline dvResult dvMakeCurrent(int ordinal, dvDevice) { return hipSetDevice(ordinal); }
inline dvResult dvMemAlloc(dvDevPtr* ptr, std::size_t bytes) { return hipMalloc(ptr, bytes); }
inline dvResult dvStreamCreate(dvStream* stream) { return hipStreamCreateWithFlags(stream, hipStreamNonBlocking); }
inline dvResult dvEventCreate(dvEvent* event) { return hipEventCreateWithFlags(event, hipEventDefault); }
inline dvResult dvStreamBeginCapture(dvStream stream) { return hipStreamBeginCapture(stream, hipStreamCaptureModeThreadLocal); }
inline dvResult dvGraphInstantiate(dvGraphExec* exec, dvGraph graph) { return hipGraphInstantiate(exec, graph, nullptr, nullptr, 0); }
/// The device's architecture name as the compiler wants it (gfx90a, ...).
inline std::string dvArchName(int ordinal, dvDevice)
{
    hipDeviceProp_t prop;
    if (hipGetDeviceProperties(&prop, ordinal) != hipSuccess)
        return "gfx";
    std::string arch = prop.gcnArchName;
    return arch.substr(0, arch.find(':')); // "gfx90a:sramecc+:xnack-" -> "gfx90a"
}
inline std::string dvArchOption(const std::string& arch) { return "--offload-arch=" + arch; }
/// Errors after which the context cannot be used any more: the worker must exit.
inline bool dvIsSticky(dvResult r)
{
    return r == hipErrorIllegalAddress || r == hipErrorLaunchFailure || r == hipErrorIllegalState;
}

#else // CUDA

#include <cuda.h>
#include <nvrtc.h>

#define DV_BACKEND "cuda"
using dvResult = CUresult;
using dvDevice = CUdevice;
using dvModule = CUmodule;
using dvFunction = CUfunction;
using dvStream = CUstream;
using dvEvent = CUevent;
using dvGraph = CUgraph;
using dvGraphExec = CUgraphExec;
using dvDevPtr = CUdeviceptr;
using dvRtcProgram = nvrtcProgram;
using dvRtcResult = nvrtcResult;
#define DV_SUCCESS CUDA_SUCCESS
#define DV_RTC_SUCCESS NVRTC_SUCCESS
#define DV_ERROR_NOT_READY CUDA_ERROR_NOT_READY

// The driver functions the worker uses, loaded by dlopen. cuda.h maps several names to
// versioned symbols (cuMemAlloc -> cuMemAlloc_v2); the macro arguments below are expanded
// before use, so the members and the looked-up symbols carry the versioned names.
#define DV_DRIVER_FUNCTIONS(X)                                                                          \
    X(cuInit) X(cuDriverGetVersion) X(cuDeviceGet) X(cuDeviceGetCount) X(cuDeviceGetName)               \
    X(cuDeviceTotalMem) X(cuDeviceGetAttribute) X(cuDeviceGetPCIBusId) X(cuDevicePrimaryCtxRetain)      \
    X(cuDevicePrimaryCtxSetFlags) X(cuCtxSetCurrent) X(cuGetErrorName) X(cuGetErrorString)              \
    X(cuModuleLoadData) X(cuModuleGetFunction) X(cuModuleUnload) X(cuLaunchKernel) X(cuMemAlloc)        \
    X(cuMemFree) X(cuMemcpyHtoD) X(cuMemcpyDtoH) X(cuMemsetD8) X(cuMemsetD32) X(cuMemsetD32Async)       \
    X(cuStreamCreate) X(cuStreamQuery) X(cuStreamSynchronize) X(cuStreamDestroy) X(cuEventCreate)       \
    X(cuEventRecord) X(cuEventElapsedTime) X(cuEventDestroy) X(cuStreamBeginCapture)                    \
    X(cuStreamEndCapture) X(cuGraphInstantiateWithFlags) X(cuGraphLaunch) X(cuGraphExecDestroy)         \
    X(cuGraphDestroy) X(cuFuncGetAttribute)

struct DvDriverApi {
#define DV_DRIVER_MEMBER(f) decltype(&::f) f = nullptr;
    DV_DRIVER_FUNCTIONS(DV_DRIVER_MEMBER)
#undef DV_DRIVER_MEMBER
};
extern DvDriverApi dvDriver;
/// Opens libcuda.so.1 and resolves every function; "" on success, else why not.
std::string dvLoadDriver();

#define dvDeviceGet dvDriver.cuDeviceGet
#define dvDeviceGetCount dvDriver.cuDeviceGetCount
#define dvDeviceGetName dvDriver.cuDeviceGetName
#define dvDeviceTotalMem dvDriver.cuDeviceTotalMem
#define dvDriverGetVersion dvDriver.cuDriverGetVersion
#define dvModuleLoadData dvDriver.cuModuleLoadData
#define dvModuleGetFunction dvDriver.cuModuleGetFunction
#define dvModuleUnload dvDriver.cuModuleUnload
#define dvLaunchKernel dvDriver.cuLaunchKernel
#define dvMemcpyHtoD dvDriver.cuMemcpyHtoD
#define dvMemcpyDtoH dvDriver.cuMemcpyDtoH
#define dvMemsetD8 dvDriver.cuMemsetD8
#define dvMemsetD32 dvDriver.cuMemsetD32
#define dvMemsetD32Async dvDriver.cuMemsetD32Async
#define dvMemFree dvDriver.cuMemFree
#define dvStreamQuery dvDriver.cuStreamQuery
#define dvStreamSynchronize dvDriver.cuStreamSynchronize
#define dvStreamDestroy dvDriver.cuStreamDestroy
#define dvEventRecord dvDriver.cuEventRecord
#define dvEventElapsedTime dvDriver.cuEventElapsedTime
#define dvEventDestroy dvDriver.cuEventDestroy
#define dvStreamEndCapture dvDriver.cuStreamEndCapture
#define dvGraphLaunch dvDriver.cuGraphLaunch
#define dvGraphExecDestroy dvDriver.cuGraphExecDestroy
#define dvGraphDestroy dvDriver.cuGraphDestroy
#define dvFuncGetAttribute dvDriver.cuFuncGetAttribute
#define DV_FUNC_ATTRIBUTE_NUM_REGS CU_FUNC_ATTRIBUTE_NUM_REGS
#define DV_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES
#define DV_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK

#define dvRtcCreateProgram nvrtcCreateProgram
#define dvRtcCompileProgram nvrtcCompileProgram
#define dvRtcGetProgramLogSize nvrtcGetProgramLogSize
#define dvRtcGetProgramLog nvrtcGetProgramLog
#define dvRtcGetCodeSize nvrtcGetCUBINSize
#define dvRtcGetCode nvrtcGetCUBIN
#define dvRtcDestroyProgram nvrtcDestroyProgram
#define dvRtcGetErrorString nvrtcGetErrorString
#define dvRtcVersion nvrtcVersion

inline dvResult dvInit() { return dvDriver.cuInit(0); }
inline const char* dvErrorName(dvResult r)
{
    const char* s = nullptr;
    return dvDriver.cuGetErrorName && dvDriver.cuGetErrorName(r, &s) == CUDA_SUCCESS && s ? s : "CUDA_ERROR_UNKNOWN";
}
inline const char* dvErrorString(dvResult r)
{
    const char* s = nullptr;
    return dvDriver.cuGetErrorString && dvDriver.cuGetErrorString(r, &s) == CUDA_SUCCESS && s ? s : "unknown error";
}
inline dvResult dvDeviceAttribute(int* value, CUdevice_attribute attribute, dvDevice device)
{
    return dvDriver.cuDeviceGetAttribute(value, attribute, device);
}
#define DV_ATTR_MULTIPROCESSORS CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
#define DV_ATTR_L2_BYTES CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE
/// Makes the device's primary context current (blocking sync: a waiting worker does not spin a
/// core that the compile pool could use).
inline dvResult dvMakeCurrent(int, dvDevice device)
{
    CUcontext context = nullptr;
    dvDriver.cuDevicePrimaryCtxSetFlags(device, CU_CTX_SCHED_BLOCKING_SYNC);
    const CUresult r = dvDriver.cuDevicePrimaryCtxRetain(&context, device);
    return r != CUDA_SUCCESS ? r : dvDriver.cuCtxSetCurrent(context);
}
inline dvResult dvMemAlloc(dvDevPtr* ptr, std::size_t bytes) { return dvDriver.cuMemAlloc(ptr, bytes); }
inline dvResult dvStreamCreate(dvStream* stream) { return dvDriver.cuStreamCreate(stream, CU_STREAM_NON_BLOCKING); }
inline dvResult dvEventCreate(dvEvent* event) { return dvDriver.cuEventCreate(event, CU_EVENT_DEFAULT); }
inline dvResult dvStreamBeginCapture(dvStream stream)
{
    return dvDriver.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
}
inline dvResult dvGraphInstantiate(dvGraphExec* exec, dvGraph graph)
{
    return dvDriver.cuGraphInstantiateWithFlags(exec, graph, 0);
}
inline std::string dvArchName(int, dvDevice device)
{
    int major = 0, minor = 0;
    dvDriver.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
    dvDriver.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    return "sm_" + std::to_string(major) + std::to_string(minor);
}
inline std::string dvArchOption(const std::string& arch) { return "--gpu-architecture=" + arch; }
inline bool dvIsSticky(dvResult r)
{
    return r == CUDA_ERROR_ILLEGAL_ADDRESS || r == CUDA_ERROR_LAUNCH_FAILED || r == CUDA_ERROR_ILLEGAL_INSTRUCTION
        || r == CUDA_ERROR_MISALIGNED_ADDRESS || r == CUDA_ERROR_INVALID_ADDRESS_SPACE || r == CUDA_ERROR_INVALID_PC
        || r == CUDA_ERROR_HARDWARE_STACK_ERROR || r == CUDA_ERROR_ASSERT || r == CUDA_ERROR_LAUNCH_TIMEOUT
        || r == CUDA_ERROR_CONTEXT_IS_DESTROYED;
}

#endif

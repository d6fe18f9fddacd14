// Prepended by the native worker to every kernel source it compiles (CUDA with NVRTC, HIP with
// hiprtc). Tunable parameters and problem parameters arrive as macros (-DNAME=VALUE).
#define DV_KERNEL extern "C" __global__
#define DV_PRAGMA(x) _Pragma(#x)
#define DV_UNROLL(n) DV_PRAGMA(unroll n)
#ifndef __align__
#define __align__(n) __attribute__((aligned(n)))
#endif

// Fault injection (worker flags --fault-illegal-address-on, --fault-hang-on, --fault-wrong-on):
// DV_FAULT 1 writes to an unmapped address, 2 spins for ever, 3 makes one thread skip its store.
#ifndef DV_FAULT
#define DV_FAULT 0
#endif
#if DV_FAULT == 2
// The spin reads a global through a volatile pointer: an empty infinite loop would be removed
// by the compiler (C++ lets it assume that loops terminate).
__device__ int dv_fault_spin = 1;
#endif
__device__ __forceinline__ void dv_fault_point()
{
#if DV_FAULT == 1
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        volatile unsigned long long address = 0x10;
        *(volatile int*)address = 1;
    }
#elif DV_FAULT == 2
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        while (*(volatile int*)&dv_fault_spin) {
        }
    }
#endif
}
// True for the one thread whose store a wrong-result fault drops.
#define DV_DROP_STORE (DV_FAULT == 3 && blockIdx.x == 0 && blockIdx.y == 0 && threadIdx.x == 0 && threadIdx.y == 0)

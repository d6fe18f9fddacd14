// Sum of n floats in one launch. Each block sums BLOCK * ITEMS * VEC consecutive elements
// (ITEMS vector loads of VEC floats per thread, the loop unrolled UNROLL times, then a tree in
// shared memory) into partials[block]; the last block to finish (an atomic ticket) sums the
// partials and writes out[0], and resets the ticket for the next launch.
#if VEC == 4
typedef float4 vec_t;
#elif VEC == 2
typedef float2 vec_t;
#else
typedef float vec_t;
#endif

__device__ __forceinline__ float vec_sum(const vec_t& v)
{
#if VEC == 4
    return (v.x + v.y) + (v.z + v.w);
#elif VEC == 2
    return v.x + v.y;
#else
    return v;
#endif
}

__device__ __forceinline__ float block_sum(float value, float* shared)
{
    shared[threadIdx.x] = value;
    __syncthreads();
    DV_UNROLL(10)
    for (int stride = BLOCK / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride)
            shared[threadIdx.x] += shared[threadIdx.x + stride];
        __syncthreads();
    }
    return shared[0];
}

DV_KERNEL void __launch_bounds__(BLOCK) reduce(float* out, float* partials, unsigned* ticket, const float* in, int n)
{
    dv_fault_point();
    __shared__ float shared[BLOCK];
    __shared__ bool last;
    const long long base = (long long)blockIdx.x * (BLOCK * ITEMS * VEC);
    float acc = 0.0f;
    DV_UNROLL(UNROLL)
    for (int i = 0; i < ITEMS; ++i) {
        const long long index = base + ((long long)i * BLOCK + threadIdx.x) * VEC;
        if (index + VEC <= n) {
            acc += vec_sum(*reinterpret_cast<const vec_t*>(&in[index]));
        } else {
            for (long long j = index; j < n && j < index + VEC; ++j)
                acc += in[j];
        }
    }
    const float total = block_sum(acc, shared);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = total;
        __threadfence();
        last = atomicAdd(ticket, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!last)
        return;
    __threadfence();
    float sum = 0.0f;
    for (unsigned i = threadIdx.x; i < gridDim.x; i += BLOCK)
        sum += ((volatile float*)partials)[i];
    __syncthreads();
    sum = block_sum(sum, shared);
    if (threadIdx.x == 0) {
        out[0] = DV_FAULT == 3 ? sum + 1.0f : sum;
        *ticket = 0;
    }
}

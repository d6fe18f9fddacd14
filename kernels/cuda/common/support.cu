// Input generation for the native worker, compiled once per load: fresh values for every
// evaluation from a counter-based hash of (seed, index), never zero.

__device__ __forceinline__ unsigned dv_hash(unsigned long long seed, unsigned long long i)
{
    unsigned long long x = seed ^ (i * 0x9E3779B97F4A7C15ull);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 32;
    return (unsigned)x;
}

// Uniform in [-1, 1) on a grid of 2^-23 steps, never 0.
DV_KERNEL void dv_fill_uniform(float* p, unsigned long long n, unsigned long long seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const int u = (int)(dv_hash(seed, i) >> 8) - (1 << 23); // [-2^23, 2^23)
        p[i] = (u == 0 ? 1.0f : (float)u) * (1.0f / 8388608.0f);
    }
}

// Integers in [-8, 8] without 0: every partial sum of a few million of them is exact in fp32.
DV_KERNEL void dv_fill_int(float* p, unsigned long long n, unsigned long long seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const unsigned h = dv_hash(seed, i);
        const float magnitude = (float)(1 + (h & 7u));
        p[i] = (h & 8u) ? magnitude : -magnitude;
    }
}

// C = A B in fp32 (row-major A: M x K, B: K x N, C: M x N), tiled through shared memory.
// A block computes a BLOCK_M x BLOCK_N tile of C, stepping through K in slices of BLOCK_K;
// each thread accumulates a THREAD_M x THREAD_N sub-tile in registers. Global loads and the
// stores of C move VEC consecutive floats at once. M, N, K must be multiples of the tiles
// (the manifest's problem constraints).
#define THREADS_N (BLOCK_N / THREAD_N)
#define THREADS ((BLOCK_M / THREAD_M) * THREADS_N)

#if VEC == 4
typedef float4 vec_t;
#elif VEC == 2
typedef float2 vec_t;
#else
typedef float vec_t;
#endif

__device__ __forceinline__ void vec_to(float* out, const vec_t& v)
{
#if VEC == 1
    out[0] = v;
#else
    out[0] = v.x;
    out[1] = v.y;
#if VEC == 4
    out[2] = v.z;
    out[3] = v.w;
#endif
#endif
}

DV_KERNEL void __launch_bounds__(THREADS) gemm(float* __restrict__ C, const float* __restrict__ A,
                                                const float* __restrict__ B, int M, int N, int K)
{
    dv_fault_point();
    __shared__ __align__(16) float As[BLOCK_K][BLOCK_M]; // transposed: As[k][m]
    __shared__ __align__(16) float Bs[BLOCK_K][BLOCK_N]; // vector stores need 16-byte alignment
    const int tid = threadIdx.x;
    const int tx = tid % THREADS_N;
    const int ty = tid / THREADS_N;
    const int row0 = blockIdx.y * BLOCK_M;
    const int col0 = blockIdx.x * BLOCK_N;
    (void)M;

    float acc[THREAD_M][THREAD_N];
    DV_UNROLL(THREAD_M)
    for (int m = 0; m < THREAD_M; ++m) {
        DV_UNROLL(THREAD_N)
        for (int n = 0; n < THREAD_N; ++n)
            acc[m][n] = 0.0f;
    }

    for (int k0 = 0; k0 < K; k0 += BLOCK_K) {
        for (int i = tid; i < BLOCK_M * BLOCK_K / VEC; i += THREADS) {
            const int r = i / (BLOCK_K / VEC);
            const int c = (i % (BLOCK_K / VEC)) * VEC;
            float v[VEC];
            vec_to(v, *reinterpret_cast<const vec_t*>(&A[(size_t)(row0 + r) * K + k0 + c]));
            DV_UNROLL(VEC)
            for (int j = 0; j < VEC; ++j)
                As[c + j][r] = v[j];
        }
        for (int i = tid; i < BLOCK_K * BLOCK_N / VEC; i += THREADS) {
            const int r = i / (BLOCK_N / VEC);
            const int c = (i % (BLOCK_N / VEC)) * VEC;
            *reinterpret_cast<vec_t*>(&Bs[r][c]) = *reinterpret_cast<const vec_t*>(&B[(size_t)(k0 + r) * N + col0 + c]);
        }
        __syncthreads();
        DV_UNROLL(BLOCK_K)
        for (int k = 0; k < BLOCK_K; ++k) {
            float a[THREAD_M], b[THREAD_N];
            DV_UNROLL(THREAD_M)
            for (int m = 0; m < THREAD_M; ++m)
                a[m] = As[k][ty * THREAD_M + m];
            DV_UNROLL(THREAD_N)
            for (int n = 0; n < THREAD_N; ++n)
                b[n] = Bs[k][tx * THREAD_N + n];
            DV_UNROLL(THREAD_M)
            for (int m = 0; m < THREAD_M; ++m) {
                DV_UNROLL(THREAD_N)
                for (int n = 0; n < THREAD_N; ++n)
                    acc[m][n] = fmaf(a[m], b[n], acc[m][n]);
            }
        }
        __syncthreads();
    }

    DV_UNROLL(THREAD_M)
    for (int m = 0; m < THREAD_M; ++m) {
        float* row = &C[(size_t)(row0 + ty * THREAD_M + m) * N + col0 + tx * THREAD_N];
        DV_UNROLL(THREAD_N)
        for (int n = 0; n < THREAD_N; n += VEC) {
            if (DV_DROP_STORE && m == 0 && n == 0)
                continue;
#if VEC == 4
            *reinterpret_cast<float4*>(&row[n]) = make_float4(acc[m][n], acc[m][n + 1], acc[m][n + 2], acc[m][n + 3]);
#elif VEC == 2
            *reinterpret_cast<float2*>(&row[n]) = make_float2(acc[m][n], acc[m][n + 1]);
#else
            row[n] = acc[m][n];
#endif
        }
    }
}

// 2D convolution (cross-correlation) of a (H + F - 1) x (W + F - 1) fp32 image with an F x F
// filter into an H x W output, F a problem macro. A block of BLOCK_X x BLOCK_Y threads computes
// a (BLOCK_X * TILE_X) x (BLOCK_Y * TILE_Y) output tile, each thread TILE_X x TILE_Y outputs;
// with USE_SHMEM the input tile and its halo are staged in shared memory first, otherwise
// every thread reads global memory (through the read-only cache).
#define OUT_X (BLOCK_X * TILE_X)
#define OUT_Y (BLOCK_Y * TILE_Y)
#define IN_X (OUT_X + F - 1)
#define IN_Y (OUT_Y + F - 1)

DV_KERNEL void __launch_bounds__(BLOCK_X * BLOCK_Y) conv2d(float* __restrict__ out, const float* __restrict__ image,
                                                           const float* __restrict__ filter, int H, int W)
{
    dv_fault_point();
    const int inW = W + F - 1;
    const int x0 = blockIdx.x * OUT_X;
    const int y0 = blockIdx.y * OUT_Y;
#if USE_SHMEM
    __shared__ float tile[IN_Y][IN_X];
    const int inH = H + F - 1;
    for (int y = threadIdx.y; y < IN_Y; y += BLOCK_Y) {
        for (int x = threadIdx.x; x < IN_X; x += BLOCK_X) {
            const int gy = y0 + y, gx = x0 + x;
            tile[y][x] = (gy < inH && gx < inW) ? image[(size_t)gy * inW + gx] : 0.0f;
        }
    }
    __syncthreads();
#define PIXEL(yy, xx) tile[(yy) - y0][(xx) - x0]
#else
#define PIXEL(yy, xx) __ldg(&image[(size_t)(yy) * inW + (xx)])
#endif
    float acc[TILE_Y][TILE_X];
    DV_UNROLL(TILE_Y)
    for (int ty = 0; ty < TILE_Y; ++ty) {
        DV_UNROLL(TILE_X)
        for (int tx = 0; tx < TILE_X; ++tx)
            acc[ty][tx] = 0.0f;
    }
    DV_UNROLL(F)
    for (int i = 0; i < F; ++i) {
        DV_UNROLL(F)
        for (int j = 0; j < F; ++j) {
            const float w = filter[i * F + j];
            DV_UNROLL(TILE_Y)
            for (int ty = 0; ty < TILE_Y; ++ty) {
                const int y = y0 + threadIdx.y + ty * BLOCK_Y;
                DV_UNROLL(TILE_X)
                for (int tx = 0; tx < TILE_X; ++tx) {
                    const int x = x0 + threadIdx.x + tx * BLOCK_X;
                    if (y < H && x < W)
                        acc[ty][tx] = fmaf(PIXEL(y + i, x + j), w, acc[ty][tx]);
                }
            }
        }
    }
    DV_UNROLL(TILE_Y)
    for (int ty = 0; ty < TILE_Y; ++ty) {
        const int y = y0 + threadIdx.y + ty * BLOCK_Y;
        DV_UNROLL(TILE_X)
        for (int tx = 0; tx < TILE_X; ++tx) {
            const int x = x0 + threadIdx.x + tx * BLOCK_X;
            if (y < H && x < W && !(DV_DROP_STORE && tx == 0 && ty == 0))
                out[(size_t)y * W + x] = acc[ty][tx];
        }
    }
}

// The reduction reference: each block of 256 threads sums a grid-strided share in double, a
// tree in shared memory, then one atomic double add into out[0] (zeroed before).
DV_KERNEL void reduce_reference(double* out, const float* in, int n)
{
    __shared__ double shared[256];
    double sum = 0.0;
    for (long long i = blockIdx.x * 256ll + threadIdx.x; i < n; i += (long long)gridDim.x * 256)
        sum += in[i];
    shared[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = 128; stride > 0; stride /= 2) {
        if (threadIdx.x < stride)
            shared[threadIdx.x] += shared[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        atomicAdd(out, shared[0]);
}

// The GEMM reference: one thread per element of C, the dot product accumulated in double.
DV_KERNEL void gemm_reference(float* C, const float* A, const float* B, int M, int N, int K)
{
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N)
        return;
    double sum = 0.0;
    for (int k = 0; k < K; ++k)
        sum += (double)A[(size_t)row * K + k] * (double)B[(size_t)k * N + col];
    C[(size_t)row * N + col] = (float)sum;
}

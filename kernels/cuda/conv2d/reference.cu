// The convolution reference: one thread per output, accumulated in double.
DV_KERNEL void conv2d_reference(float* out, const float* image, const float* filter, int H, int W, int F)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (y >= H || x >= W)
        return;
    const int inW = W + F - 1;
    double sum = 0.0;
    for (int i = 0; i < F; ++i)
        for (int j = 0; j < F; ++j)
            sum += (double)image[(size_t)(y + i) * inW + x + j] * (double)filter[i * F + j];
    out[(size_t)y * W + x] = (float)sum;
}

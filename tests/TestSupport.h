#pragma once

// Helpers shared by the tests: open what a test needs or stop it with the reason.

#include "ConfigSpace.h"
#include "DeviceRegistry.h"
#include "Landscape.h"
#include "ReplayDevice.h"
#include "ResultStore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QtGlobal>

#include <cmath>
#include <memory>

namespace dv::test {

inline std::shared_ptr<Device> openDevice(const QString& id)
{
    auto device = DeviceRegistry::open(id);
    if (!device)
        qFatal("cannot open %s: %s", qPrintable(id), qPrintable(device.error()));
    return std::shared_ptr<Device>(std::move(device.value()));
}

inline ConfigSpace datasetSpace(const QString& id) { return openDevice(id)->workload().space; }

/// The shipped convolution landscape of `gpu` (A100, MI250X, W7800), named after the GPU.
inline Landscape convolutionLandscape(const QString& gpu)
{
    const QString id = QStringLiteral("replay:kerneltuner/convolution_") + gpu;
    auto device = DeviceRegistry::open(id);
    if (!device)
        qFatal("cannot open %s: %s", qPrintable(id), qPrintable(device.error()));
    return Landscape::fromCache(dynamic_cast<ReplayDevice*>(device.value().get())->cache(), gpu);
}

/// The Python-side values of a Triton RMSNorm deployment (on a GPU host kernels/triton/deployment.py
/// writes them): made up, but in the shape the dejavu exporter reads.
inline QJsonObject madeUpRmsnormDeployment()
{
    return QJsonObject{
        {QStringLiteral("triton_version"), QStringLiteral("3.3.1")},
        {QStringLiteral("tool_output"), QStringLiteral("Cuda compilation tools, release 12.4, V12.4.99")},
        {QStringLiteral("gpu_name"), QStringLiteral("NVIDIA H100 80GB HBM3")},
        {QStringLiteral("kernel"),
         QJsonObject{{QStringLiteral("signature"), QStringLiteral("JITFunction(norms:rmsnorm_kernel)")},
                     {QStringLiteral("src"), QStringLiteral("def rmsnorm_kernel(x, w, y, n_rows, N, BLOCK: tl.constexpr):\n    pass\n")},
                     {QStringLiteral("arg_dtypes"), QJsonArray{QStringLiteral("torch.float16"), QStringLiteral("torch.float16"),
                                                               QStringLiteral("torch.float16")}}}},
        {QStringLiteral("key"), QJsonArray{QStringLiteral("n_rows")}},
        {QStringLiteral("config_space"),
         QJsonObject{{QStringLiteral("kwargs"), QJsonArray{QJsonArray{QStringLiteral("BLOCK"),
                                                                      QJsonArray{256, 512, 1024, 2048, 4096, 8192, 16384}}}},
                     {QStringLiteral("options"), QJsonObject{{QStringLiteral("num_warps"), QJsonArray{1, 2, 4, 8, 16, 32}},
                                                             {QStringLiteral("num_stages"), QJsonArray{1, 2, 3}}}}}}};
}

/// The "triton_cache" deployment inputs of the recorded 384-configuration Triton matmul, with
/// made-up hash inputs (on a GPU host kernels/triton/deployment.py computes them): enough for the
/// triton-cache exporter and its read-back, not for a real Triton.
inline QJsonObject madeUpMatmulTritonCacheInputs()
{
    QJsonArray configs;
    for (int bm : {32, 64, 128, 256})
        for (int bn : {32, 64, 128, 256})
            for (int bk : {32, 64, 128})
                for (int w : {4, 8})
                    for (int st : {2, 3, 4, 5})
                        configs.append(QStringLiteral("BLOCK_M: %1, BLOCK_N: %2, BLOCK_K: %3, GROUP_M: 8, num_warps: %4, num_ctas: 1, "
                                                      "num_stages: %5, maxnreg: None, ir_override: None").arg(bm).arg(bn).arg(bk).arg(w).arg(st));
    return QJsonObject{{QStringLiteral("triton_version"), QStringLiteral("3.6.0")},
                       {QStringLiteral("gpu_name"), QStringLiteral("NVIDIA H100 80GB HBM3")},
                       {QStringLiteral("fn_name"), QStringLiteral("matmul_kernel")},
                       {QStringLiteral("hash_prefix"), QJsonArray{QStringLiteral("k"), QStringLiteral("b"), QStringLiteral("f"), QStringLiteral("[]")}},
                       {QStringLiteral("key"), QJsonArray{QStringLiteral("M"), QStringLiteral("N"), QStringLiteral("K")}},
                       {QStringLiteral("key_from_problem"), QJsonArray{0, 1, 2}},
                       {QStringLiteral("dtypes"), QJsonArray{QStringLiteral("torch.float16"), QStringLiteral("torch.float16"), QStringLiteral("torch.float16")}},
                       {QStringLiteral("configs"), configs},
                       {QStringLiteral("config_fields"), QJsonArray{QStringLiteral("kwargs"), QStringLiteral("num_warps"), QStringLiteral("num_ctas"),
                                                                    QStringLiteral("num_stages"), QStringLiteral("maxnreg"), QStringLiteral("pre_hook"),
                                                                    QStringLiteral("ir_override")}}};
}

/// A made-up Kernel Tuner cache of the fused-MoE kernel (kernels/triton/kernels/fused_moe.py, its
/// space trimmed to 96 configurations) for the problem [M, E, N, K, 2, "fp16"] on an H100: the
/// times are invented (smooth in the tile sizes), enough for the vLLM exporter's checks, no GPU's.
inline QByteArray madeUpMoeDataset(int m, int e, int n, int k)
{
    const QVector<int> bms{16, 32, 64}, bns{32, 64}, bks{64, 128}, groups{1, 16}, warps{4, 8}, stages{2, 3};
    QJsonObject cache;
    for (int bm : bms)
        for (int bn : bns)
            for (int bk : bks)
                for (int g : groups)
                    for (int w : warps)
                        for (int st : stages) {
                            const double ms = (0.1 + 0.01 * std::abs(std::log2(bm) - 5) + 0.003 * (bn == 64 ? 0 : 1) + 0.002 * (bk == 128 ? 0 : 1)
                                               + 0.001 * (g == 16 ? 0 : 1) + 0.0005 * (w == 8 ? 0 : 1) + 0.0002 * (st == 3 ? 0 : 1))
                                            * (1.0 + m / 1024.0);
                            const QString key = QStringLiteral("%1,%2,%3,%4,%5,%6").arg(bm).arg(bn).arg(bk).arg(g).arg(w).arg(st);
                            cache.insert(key, QJsonObject{{QStringLiteral("BLOCK_SIZE_M"), bm}, {QStringLiteral("BLOCK_SIZE_N"), bn},
                                                          {QStringLiteral("BLOCK_SIZE_K"), bk}, {QStringLiteral("GROUP_SIZE_M"), g},
                                                          {QStringLiteral("num_warps"), w}, {QStringLiteral("num_stages"), st},
                                                          {QStringLiteral("time"), ms}, {QStringLiteral("times"), QJsonArray{ms, ms * 1.01}},
                                                          {QStringLiteral("compile_time"), 900.0}});
                        }
    auto values = [](const QVector<int>& v) {
        QJsonArray a;
        for (int x : v)
            a.append(x);
        return a;
    };
    const QJsonObject root{{QStringLiteral("device_name"), QStringLiteral("NVIDIA H100 80GB HBM3")},
                           {QStringLiteral("kernel_name"), QStringLiteral("triton_fused_moe_fp16")},
                           {QStringLiteral("problem_size"), QJsonArray{m, e, n, k, 2, QStringLiteral("fp16")}},
                           {QStringLiteral("tune_params_keys"), QJsonArray{QStringLiteral("BLOCK_SIZE_M"), QStringLiteral("BLOCK_SIZE_N"),
                                                                           QStringLiteral("BLOCK_SIZE_K"), QStringLiteral("GROUP_SIZE_M"),
                                                                           QStringLiteral("num_warps"), QStringLiteral("num_stages")}},
                           {QStringLiteral("tune_params"), QJsonObject{{QStringLiteral("BLOCK_SIZE_M"), values(bms)}, {QStringLiteral("BLOCK_SIZE_N"), values(bns)},
                                                                       {QStringLiteral("BLOCK_SIZE_K"), values(bks)}, {QStringLiteral("GROUP_SIZE_M"), values(groups)},
                                                                       {QStringLiteral("num_warps"), values(warps)}, {QStringLiteral("num_stages"), values(stages)}}},
                           {QStringLiteral("objective"), QStringLiteral("time")},
                           {QStringLiteral("cache"), cache}};
    return QJsonDocument(root).toJson();
}

/// madeUpMoeDataset() written to `path` (a replay device by its path); the path, or empty if it
/// could not be written.
inline QString writeMadeUpMoeDataset(const QString& path, int m, int e, int n, int k)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(madeUpMoeDataset(m, e, n, k)) < 0)
        return {};
    return path;
}

/// The "triton_cache" deployment inputs of the recorded 126-configuration RMSNorm with made-up
/// hash inputs, keyed as kernels/triton/deployment.py keys it: by N only (the row count is the
/// grid, not an argument), so row counts share one autotuner key.
inline QJsonObject madeUpRmsnormTritonCacheInputs()
{
    QJsonArray configs;
    for (int block : {256, 512, 1024, 2048, 4096, 8192, 16384})
        for (int w : {1, 2, 4, 8, 16, 32})
            for (int st : {1, 2, 3})
                configs.append(QStringLiteral("BLOCK: %1, num_warps: %2, num_ctas: 1, num_stages: %3, maxnreg: None, ir_override: None").arg(block).arg(w).arg(st));
    QJsonObject o = madeUpMatmulTritonCacheInputs();
    o.insert(QStringLiteral("fn_name"), QStringLiteral("rmsnorm_kernel"));
    o.insert(QStringLiteral("key"), QJsonArray{QStringLiteral("N")});
    o.insert(QStringLiteral("key_from_problem"), QJsonArray{1});
    o.insert(QStringLiteral("dtypes"), QJsonArray{QStringLiteral("torch.float16"), QStringLiteral("torch.float16"), QStringLiteral("torch.float16")});
    o.insert(QStringLiteral("configs"), configs);
    return o;
}

inline std::unique_ptr<ResultStore> openStore(const QString& path)
{
    auto store = ResultStore::open(path);
    if (!store)
        qFatal("%s", qPrintable(store.error()));
    return std::move(store.value());
}

/// A made-up space of power-of-two tile sizes and a categorical layout: each name in `numeric`
/// takes the values first, 2 first, ... (`count` of them), then "layout" takes row, col or tile.
inline ConfigSpace layoutSpace(const QString& name, const QStringList& numeric, int count, int first,
                               const QStringList& constraints)
{
    QVector<Parameter> params;
    for (const QString& n : numeric) {
        Parameter p;
        p.name = n;
        for (int v = 0; v < count; ++v)
            p.values.append(first << v);
        params.append(p);
    }
    Parameter s;
    s.name = QStringLiteral("layout");
    s.type = ParameterType::String;
    s.values = {QStringLiteral("row"), QStringLiteral("col"), QStringLiteral("tile")};
    params.append(s);
    auto space = ConfigSpace::create(name, params, constraints);
    if (!space)
        qFatal("%s", qPrintable(space.error()));
    return space.value();
}

} // namespace dv::test

#include "device/GpuArchitecture.h"

#include <QRegularExpression>

namespace dv {

const QVector<KnownGpu>& GpuArchitecture::knownGpus()
{
    // NVIDIA's published compute capabilities (developer.nvidia.com/cuda-gpus, 2026-12).
    static const QVector<KnownGpu> table{
        {QStringLiteral("V100"), 7, 0},        {QStringLiteral("T4"), 7, 5},          {QStringLiteral("RTX 2080 Ti"), 7, 5},
        {QStringLiteral("A100"), 8, 0},        {QStringLiteral("A800"), 8, 0},        {QStringLiteral("A30"), 8, 0},
        {QStringLiteral("A10"), 8, 6},         {QStringLiteral("A40"), 8, 6},         {QStringLiteral("RTX A6000"), 8, 6},
        {QStringLiteral("RTX 3080"), 8, 6},    {QStringLiteral("RTX 3090"), 8, 6},    {QStringLiteral("L4"), 8, 9},
        {QStringLiteral("L40"), 8, 9},         {QStringLiteral("L40S"), 8, 9},        {QStringLiteral("RTX 6000 Ada"), 8, 9},
        {QStringLiteral("RTX 4080"), 8, 9},    {QStringLiteral("RTX 4090"), 8, 9},    {QStringLiteral("H100"), 9, 0},
        {QStringLiteral("H200"), 9, 0},        {QStringLiteral("GH200"), 9, 0},       {QStringLiteral("H800"), 9, 0},
        {QStringLiteral("H20"), 9, 0},         {QStringLiteral("B200"), 10, 0},       {QStringLiteral("GB200"), 10, 0},
        {QStringLiteral("RTX 5090"), 12, 0},   {QStringLiteral("RTX PRO 6000"), 12, 0},
    };
    return table;
}

namespace {

QStringList words(const QString& text)
{
    static const QRegularExpression separators(QStringLiteral("[^A-Z0-9]+"));
    return text.toUpper().split(separators, Qt::SkipEmptyParts);
}

bool containsInOrder(const QStringList& haystack, const QStringList& needle)
{
    for (int start = 0; start + needle.size() <= haystack.size(); ++start) {
        int k = 0;
        while (k < needle.size() && haystack[start + k] == needle[k])
            ++k;
        if (k == needle.size())
            return true;
    }
    return false;
}

} // namespace

std::optional<KnownGpu> GpuArchitecture::of(const QString& deviceName)
{
    const QStringList name = words(deviceName);
    // The longest model that matches wins ("RTX 6000 Ada" over a shorter one).
    std::optional<KnownGpu> best;
    for (const KnownGpu& g : knownGpus()) {
        const QStringList model = words(g.model);
        if (containsInOrder(name, model) && (!best || model.size() > words(best->model).size()))
            best = g;
    }
    return best;
}

QStringList GpuArchitecture::sharingWith(const QString& deviceName)
{
    const auto self = of(deviceName);
    QStringList out;
    if (!self)
        return out;
    for (const KnownGpu& g : knownGpus())
        if (g.sameArchitecture(*self) && g.model != self->model)
            out.append(g.model);
    return out;
}

} // namespace dv

// Counting and enumerating the valid configurations of a large space.
// Target (issue 2): filter a 1,000,000-combination space with three constraints in under 2 s
// on the 2-core development machine.
#include "space/ConfigSpace.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace dv;

namespace {

Parameter ints(const char* name, std::initializer_list<int> values)
{
    Parameter p;
    p.name = QString::fromLatin1(name);
    for (int v : values)
        p.values.append(v);
    return p;
}

void run(const char* label, const QVector<Parameter>& params, const QStringList& constraints, int repeats)
{
    std::vector<double> ms;
    qint64 valid = 0;
    quint64 product = 0;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer t;
        t.start();
        auto space = ConfigSpace::create(QStringLiteral("bench"), params, constraints);
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
        if (!space) {
            std::fprintf(stderr, "error: %s\n", qPrintable(space.error()));
            std::exit(1);
        }
        valid = space->size();
        product = space->productSize();
    }
    std::sort(ms.begin(), ms.end());
    std::printf("| %s | %llu | %d | %lld | %.1f | %.1f | %.1f |\n", label, product, int(constraints.size()), valid,
                ms.front(), ms[ms.size() / 2], ms.back());
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int repeats = 7;
    std::printf("| space | combinations | constraints | valid | min ms | median ms | max ms |\n");
    std::printf("|---|---|---|---|---|---|---|\n");

    // 10^6 combinations: a Triton-matmul-like space widened to six ten-valued parameters.
    const QVector<Parameter> wide = {
        ints("BLOCK_M", {16, 32, 48, 64, 96, 128, 160, 192, 224, 256}),
        ints("BLOCK_N", {16, 32, 48, 64, 96, 128, 160, 192, 224, 256}),
        ints("BLOCK_K", {16, 32, 48, 64, 80, 96, 112, 128, 192, 256}),
        ints("GROUP_M", {1, 2, 3, 4, 5, 6, 7, 8, 12, 16}),
        ints("num_warps", {1, 2, 4, 6, 8, 10, 12, 16, 24, 32}),
        ints("num_stages", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
    };
    const QStringList three = {
        QStringLiteral("(BLOCK_M + BLOCK_N) * BLOCK_K * 2 * num_stages <= 232448"),
        QStringLiteral("BLOCK_M >= BLOCK_N || num_warps == 8"),
        QStringLiteral("BLOCK_M * BLOCK_N / (num_warps * 32) <= 256"),
    };
    run("1e6 product, 3 constraints (pruned by the first two levels)", wide, three, repeats);

    // The same three constraints written so that every one involves the last parameter: no
    // pruning possible, every combination is evaluated (the worst case).
    const QStringList worst = {
        QStringLiteral("(BLOCK_M + BLOCK_N) * BLOCK_K * 2 * num_stages <= 232448"),
        QStringLiteral("BLOCK_M >= BLOCK_N || num_warps == 8 || num_stages > 100"),
        QStringLiteral("BLOCK_M * BLOCK_N / (num_warps * 32) <= 256 + 0 * num_stages"),
    };
    run("1e6 product, 3 constraints on the last parameter (no pruning)", wide, worst, repeats);
    run("1e6 product, no constraints", wide, {}, repeats);

    // 1.6e7: a larger space to show how it scales.
    QVector<Parameter> larger = wide;
    larger.append(ints("split_k", {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}));
    QStringList largerConstraints = three;
    largerConstraints.append(QStringLiteral("split_k * BLOCK_K <= 4096"));
    run("1.6e7 product, 4 constraints", larger, largerConstraints, 3);
    return 0;
}

// Constraint expressions (muparser with Python words and string literals), one per line, over a
// fixed set of parameters of every type: compile, enumerate with pruning, and check that the
// pruned enumeration agrees with evaluating every combination (ConstraintSet).
#include "FuzzSupport.h"

#include "space/ConstraintSet.h"

#include <QJsonArray>
#include <QString>

#include <set>

using namespace dv;

namespace {

QVector<Parameter> parameters()
{
    auto make = [](const char* name, ParameterType type, QJsonArray values) {
        Parameter p;
        p.name = QString::fromLatin1(name);
        p.type = type;
        for (const QJsonValue& v : values)
            p.values.append(v);
        return p;
    };
    return {make("BLOCK_M", ParameterType::Int, {16, 32, 64, 128}),
            make("num_warps", ParameterType::Int, {1, 4, 8}),
            make("layout", ParameterType::String, {QStringLiteral("row"), QStringLiteral("col")}),
            make("split", ParameterType::Bool, {false, true}),
            make("ratio", ParameterType::Float, {0.5, 1.5, -2.25})};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const QVector<Parameter> params = parameters();
    const QStringList lines = QString::fromUtf8(fuzz::bytes(data, size)).split(QLatin1Char('\n'));
    auto set = ConstraintSet::compile(params, lines);
    if (!set)
        return 0;
    std::set<quint64> enumerated;
    auto run = set->enumerate([&](quint64 ordinal) {
        enumerated.insert(ordinal);
        return true;
    });
    if (!run)
        return 0; // an evaluation error (muparser) ends the enumeration with a message
    // The pruned walk must accept exactly the combinations that pass every constraint.
    std::vector<int> radix;
    quint64 product = 1;
    for (const Parameter& p : params) {
        radix.push_back(int(p.values.size()));
        product *= quint64(p.values.size());
    }
    for (quint64 ordinal = 0; ordinal < product; ++ordinal) {
        std::vector<int> indices(radix.size());
        quint64 rest = ordinal;
        for (int i = int(radix.size()) - 1; i >= 0; --i) {
            indices[size_t(i)] = int(rest % quint64(radix[size_t(i)]));
            rest /= quint64(radix[size_t(i)]);
        }
        if (set->accepts(indices) != (enumerated.count(ordinal) == 1))
            fuzz::invariant("enumerate() and accepts() disagree on ordinal", QString::number(ordinal));
    }
    return 0;
}

#include "space/ConfigSpace.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QtTest>

#include <cmath>
#include <functional>

using namespace dv;

namespace {

// One combination of the reference space below, in plain C++ for the brute-force counts.
struct Cfg {
    int m, n, k, w, s;
    QString layout;
    bool split;
};

struct Predicate {
    std::function<bool(const Cfg&)> accepts;
};

const QVector<int> kM{16, 32, 64, 128, 256};
const QVector<int> kN{16, 32, 64, 128};
const QVector<int> kK{16, 32, 64, 128};
const QVector<int> kW{1, 2, 4, 8};
const QVector<int> kS{1, 2, 3, 4, 5};
const QStringList kLayout{QStringLiteral("row"), QStringLiteral("col"), QStringLiteral("tiled")};
const QVector<bool> kSplit{false, true};

QJsonArray intArray(const QVector<int>& v)
{
    QJsonArray a;
    for (int x : v)
        a.append(x);
    return a;
}

QJsonObject param(const QString& name, const QJsonArray& values)
{
    return QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("values"), values}};
}

QVector<QJsonObject> referenceParameters()
{
    QJsonArray split;
    for (bool b : kSplit)
        split.append(b);
    return {param(QStringLiteral("BLOCK_M"), intArray(kM)), param(QStringLiteral("BLOCK_N"), intArray(kN)),
            param(QStringLiteral("BLOCK_K"), intArray(kK)), param(QStringLiteral("num_warps"), intArray(kW)),
            param(QStringLiteral("num_stages"), intArray(kS)),
            param(QStringLiteral("layout"), QJsonArray::fromStringList(kLayout)),
            param(QStringLiteral("split_k"), split)};
}

// The reference space as a file; `order` permutes the parameters as listed in the file.
QByteArray referenceSpace(const QStringList& constraints, const QVector<int>& order = {0, 1, 2, 3, 4, 5, 6})
{
    const QVector<QJsonObject> params = referenceParameters();
    QJsonArray listed;
    for (int i : order)
        listed.append(params[i]);
    QJsonObject root{{QStringLiteral("name"), QStringLiteral("reference")}, {QStringLiteral("parameters"), listed}};
    if (!constraints.isEmpty())
        root.insert(QStringLiteral("constraints"), QJsonArray::fromStringList(constraints));
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QJsonObject toConfig(const Cfg& c)
{
    return QJsonObject{{QStringLiteral("BLOCK_M"), c.m},        {QStringLiteral("BLOCK_N"), c.n},
                       {QStringLiteral("BLOCK_K"), c.k},        {QStringLiteral("num_warps"), c.w},
                       {QStringLiteral("num_stages"), c.s},     {QStringLiteral("layout"), c.layout},
                       {QStringLiteral("split_k"), c.split}};
}

// Every accepted combination with its product ordinal, first parameter outermost.
QVector<QPair<quint64, Cfg>> bruteForce(const std::function<bool(const Cfg&)>& accepts)
{
    QVector<QPair<quint64, Cfg>> out;
    quint64 ordinal = 0;
    for (int m : kM)
        for (int n : kN)
            for (int k : kK)
                for (int w : kW)
                    for (int s : kS)
                        for (const QString& layout : kLayout)
                            for (bool split : kSplit) {
                                const Cfg c{m, n, k, w, s, layout, split};
                                if (accepts(c))
                                    out.append({ordinal, c});
                                ++ordinal;
                            }
    return out;
}

Result<ConfigSpace> parse(const QByteArray& json)
{
    return ConfigSpace::fromJson(json, QStringLiteral("space.json"));
}

QSet<QString> keySet(const ConfigSpace& space)
{
    QSet<QString> keys;
    for (qint64 i = 0; i < space.size(); ++i)
        keys.insert(space.key(i));
    return keys;
}

} // namespace

Q_DECLARE_METATYPE(Predicate)

class TestConfigSpace : public QObject {
    Q_OBJECT

private slots:
    void parameterTypes_data();
    void parameterTypes();
    void shippedSpaces_data();
    void shippedSpaces();
    void constraints_data();
    void constraints();
    void unconstrainedEnumerationOrder();
    void indexOfInvertsConfig_data();
    void indexOfInvertsConfig();
    void indexOfRejects();
    void keyIsIndependentOfParameterOrder_data();
    void keyIsIndependentOfParameterOrder();
    void keyFormat();
    void toJsonRoundTrip_data();
    void toJsonRoundTrip();
    void badFiles_data();
    void badFiles();
    void everyCombinationExcluded();
    void hugeProductSmallSpace();
    void productOverflow();
    void productCheckedWhileReading();
    void lateConstraintOverAHugeProductIsRefused();
};

void TestConfigSpace::parameterTypes_data()
{
    QTest::addColumn<QByteArray>("parameter");
    QTest::addColumn<int>("type");
    QTest::addColumn<QVariantList>("values");

    QTest::newRow("int") << QByteArray(R"({"name": "BLOCK", "values": [32, 64, 128]})")
                         << int(ParameterType::Int) << QVariantList{32, 64, 128};
    QTest::newRow("negative int") << QByteArray(R"({"name": "shift", "values": [-2, 0, 2]})")
                                  << int(ParameterType::Int) << QVariantList{-2, 0, 2};
    QTest::newRow("float") << QByteArray(R"({"name": "alpha", "values": [0.5, 1, 2.25]})")
                           << int(ParameterType::Float) << QVariantList{0.5, 1.0, 2.25};
    QTest::newRow("bool") << QByteArray(R"({"name": "use_shmem", "values": [false, true]})")
                          << int(ParameterType::Bool) << QVariantList{false, true};
    QTest::newRow("string") << QByteArray(R"({"name": "layout", "values": ["row", "col", "tiled"]})")
                            << int(ParameterType::String)
                            << QVariantList{QStringLiteral("row"), QStringLiteral("col"), QStringLiteral("tiled")};
    QTest::newRow("range default step") << QByteArray(R"({"name": "tile", "range": {"start": 1, "stop": 4}})")
                                        << int(ParameterType::Int) << QVariantList{1, 2, 3, 4};
    QTest::newRow("range step") << QByteArray(R"({"name": "bx", "range": {"start": 16, "stop": 64, "step": 16}})")
                                << int(ParameterType::Int) << QVariantList{16, 32, 48, 64};
    QTest::newRow("range stop not on a step")
        << QByteArray(R"({"name": "bx", "range": {"start": 0, "stop": 10, "step": 4}})") << int(ParameterType::Int)
        << QVariantList{0, 4, 8};
    QTest::newRow("range single value") << QByteArray(R"({"name": "g", "range": {"start": 8, "stop": 8}})")
                                        << int(ParameterType::Int) << QVariantList{8};
    QTest::newRow("range float step") << QByteArray(R"({"name": "f", "range": {"start": 0.5, "stop": 2, "step": 0.5}})")
                                      << int(ParameterType::Float) << QVariantList{0.5, 1.0, 1.5, 2.0};
    // Decimal steps are what users write; the values must be the decimals, not accumulated sums.
    QTest::newRow("range decimal step") << QByteArray(R"({"name": "f", "range": {"start": 0, "stop": 0.5, "step": 0.1}})")
                                        << int(ParameterType::Float) << QVariantList{0.0, 0.1, 0.2, 0.3, 0.4, 0.5};
}

void TestConfigSpace::parameterTypes()
{
    QFETCH(QByteArray, parameter);
    QFETCH(int, type);
    QFETCH(QVariantList, values);

    const QByteArray json = "{\"parameters\": [" + parameter + "]}";
    const auto space = parse(json);
    QVERIFY2(space.ok(), qPrintable(space.error()));
    QCOMPARE(space->dimensions(), 1);
    const Parameter& p = space->parameters().at(0);
    QCOMPARE(int(p.type), type);
    QCOMPARE(p.values.size(), values.size());
    for (int i = 0; i < values.size(); ++i) {
        const QVariant expected = values[i];
        const QJsonValue actual = p.values[i];
        if (expected.typeId() == QMetaType::Bool) {
            QVERIFY(actual.isBool());
            QCOMPARE(actual.toBool(), expected.toBool());
        } else if (expected.typeId() == QMetaType::QString) {
            QVERIFY(actual.isString());
            QCOMPARE(actual.toString(), expected.toString());
        } else {
            QVERIFY(actual.isDouble());
            // Exact: QCOMPARE on doubles is fuzzy and would hide 0.30000000000000004.
            QVERIFY2(actual.toDouble() == expected.toDouble(),
                     qPrintable(QStringLiteral("value %1: %2 != %3")
                                    .arg(i)
                                    .arg(actual.toDouble(), 0, 'g', 17)
                                    .arg(expected.toDouble(), 0, 'g', 17)));
        }
    }
    // With no constraints the valid set is the whole product, in value order.
    QCOMPARE(space->size(), qint64(values.size()));
    QCOMPARE(space->productSize(), quint64(values.size()));
    for (int i = 0; i < values.size(); ++i) {
        QCOMPARE(space->ordinal(i), quint64(i));
        QCOMPARE(space->config(i).value(p.name), p.values[i]);
    }
}

void TestConfigSpace::shippedSpaces_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("dimensions");
    QTest::addColumn<qint64>("productSize");

    const QString dir = QStringLiteral(DEJAVU_DATASETS_DIR "/../spaces/");
    // The valid counts are computed independently by the loops in shippedSpaces().
    QTest::newRow("triton_matmul") << dir + QStringLiteral("triton_matmul.json")
                                   << QStringLiteral("triton_matmul_fp16") << 6 << qint64(384);
    QTest::newRow("convolution") << dir + QStringLiteral("convolution.json") << QStringLiteral("convolution_kernel")
                                 << 8 << qint64(16 * 5 * 4 * 4 * 2 * 2 * 2 * 2);
}

void TestConfigSpace::shippedSpaces()
{
    QFETCH(QString, file);
    QFETCH(QString, name);
    QFETCH(int, dimensions);
    QFETCH(qint64, productSize);

    QFile f(file);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(file));
    const auto space = ConfigSpace::fromJson(f.readAll(), QFileInfo(file).fileName());
    QVERIFY2(space.ok(), qPrintable(space.error()));
    QCOMPARE(space->name(), name);
    QCOMPARE(space->dimensions(), dimensions);
    QCOMPARE(qint64(space->productSize()), productSize);

    qint64 expected = 0;
    if (name == QLatin1String("triton_matmul_fp16")) {
        for (int m : {32, 64, 128, 256})
            for (int n : {32, 64, 128, 256})
                for (int k : {32, 64, 128})
                    for (int w = 0; w < 2; ++w)
                        for (int s : {2, 3, 4, 5})
                            expected += (m + n) * k * 2 * s <= 232448 ? 1 : 0;
    } else {
        for (int bx = 16; bx <= 256; bx += 16)
            for (int by : {1, 2, 4, 8, 16})
                for (int tx = 1; tx <= 4; ++tx)
                    for (int ty = 1; ty <= 4; ++ty)
                        for (int ro = 0; ro < 2; ++ro)
                            for (int pad = 0; pad < 2; ++pad)
                                for (int shmem = 0; shmem < 2; ++shmem)
                                    for (int row = 0; row < 2; ++row) {
                                        const bool ok = bx * by >= 64 && bx * by <= 1024
                                            && (pad == 0 || (shmem && bx % 32 != 0)) && !(ro && shmem)
                                            && (row == 0 || tx * ty >= 2);
                                        expected += ok ? 1 : 0;
                                    }
    }
    QVERIFY(expected > 0);
    QVERIFY(expected < productSize);
    QCOMPARE(space->size(), expected);
}

void TestConfigSpace::constraints_data()
{
    QTest::addColumn<QStringList>("constraints");
    QTest::addColumn<Predicate>("predicate");

    auto row = [](const char* name, QStringList constraints, std::function<bool(const Cfg&)> f) {
        QTest::newRow(name) << constraints << Predicate{std::move(f)};
    };
    row("none", {}, [](const Cfg&) { return true; });
    row("shared memory budget", {QStringLiteral("BLOCK_M * BLOCK_K * 2 * num_stages <= 232448")},
        [](const Cfg& c) { return c.m * c.k * 2 * c.s <= 232448; });
    row("or", {QStringLiteral("BLOCK_M >= BLOCK_N || num_warps == 8")},
        [](const Cfg& c) { return c.m >= c.n || c.w == 8; });
    row("and", {QStringLiteral("BLOCK_M >= 64 && BLOCK_N <= 32")}, [](const Cfg& c) { return c.m >= 64 && c.n <= 32; });
    row("modulo", {QStringLiteral("(BLOCK_M + BLOCK_K) % 48 == 32")},
        [](const Cfg& c) { return (c.m + c.k) % 48 == 32; });
    row("modulo precedence", {QStringLiteral("BLOCK_M + BLOCK_K % 48 == 48")},
        [](const Cfg& c) { return c.m + c.k % 48 == 48; });
    row("not", {QStringLiteral("!(num_warps == 1) && !split_k")}, [](const Cfg& c) { return c.w != 1 && !c.split; });
    row("not equal", {QStringLiteral("num_warps != 4")}, [](const Cfg& c) { return c.w != 4; });
    row("python and or not", {QStringLiteral("BLOCK_M >= 64 and not split_k or num_stages == 1")},
        [](const Cfg& c) { return (c.m >= 64 && !c.split) || c.s == 1; });
    row("python not binds looser than comparison", {QStringLiteral("not BLOCK_M == 64")},
        [](const Cfg& c) { return c.m != 64; });
    row("python not stops at and", {QStringLiteral("not num_warps > 2 and BLOCK_M == 16 or split_k")},
        [](const Cfg& c) { return (!(c.w > 2) && c.m == 16) || c.split; });
    row("python not inside parentheses", {QStringLiteral("(not BLOCK_M + BLOCK_N > 64) or num_warps == 2")},
        [](const Cfg& c) { return !(c.m + c.n > 64) || c.w == 2; });
    row("python double not", {QStringLiteral("not not split_k")}, [](const Cfg& c) { return c.split; });
    row("python not in a function argument", {QStringLiteral("max(not split_k, num_warps == 8) == 1")},
        [](const Cfg& c) { return !c.split || c.w == 8; });
    row("python not of a conjunction", {QStringLiteral("not (BLOCK_M == 64 and num_warps == 2)")},
        [](const Cfg& c) { return !(c.m == 64 && c.w == 2); });
    row("string equal", {QStringLiteral("layout == \"row\"")}, [](const Cfg& c) { return c.layout == QLatin1String("row"); });
    row("string single quotes", {QStringLiteral("layout != 'col' && BLOCK_N <= 64")},
        [](const Cfg& c) { return c.layout != QLatin1String("col") && c.n <= 64; });
    row("string literal first", {QStringLiteral("\"tiled\" == layout || num_stages > 3")},
        [](const Cfg& c) { return c.layout == QLatin1String("tiled") || c.s > 3; });
    row("string not among the values", {QStringLiteral("layout == \"diag\"")}, [](const Cfg&) { return false; });
    row("bool parameter", {QStringLiteral("split_k")}, [](const Cfg& c) { return c.split; });
    row("bool compared with true", {QStringLiteral("split_k == true")}, [](const Cfg& c) { return c.split; });
    row("bool compared with false", {QStringLiteral("split_k == false || num_stages > 2")},
        [](const Cfg& c) { return !c.split || c.s > 2; });
    row("true constant", {QStringLiteral("true")}, [](const Cfg&) { return true; });
    row("false constant or", {QStringLiteral("false || BLOCK_M == 16")}, [](const Cfg& c) { return c.m == 16; });
    row("several constraints",
        {QStringLiteral("BLOCK_M * BLOCK_N <= 4096"), QStringLiteral("num_warps * 32 <= BLOCK_M"),
         QStringLiteral("layout == \"tiled\" || split_k")},
        [](const Cfg& c) { return c.m * c.n <= 4096 && c.w * 32 <= c.m && (c.layout == QLatin1String("tiled") || c.split); });
    row("ternary", {QStringLiteral("num_warps == (BLOCK_M >= 128 ? 8 : 4)")},
        [](const Cfg& c) { return c.w == (c.m >= 128 ? 8 : 4); });
    row("min max", {QStringLiteral("max(BLOCK_M, BLOCK_N) <= 2 * min(BLOCK_M, BLOCK_N)")},
        [](const Cfg& c) { return std::max(c.m, c.n) <= 2 * std::min(c.m, c.n); });
    row("ceil", {QStringLiteral("ceil(BLOCK_M / 48) == 2")},
        [](const Cfg& c) { return std::ceil(double(c.m) / 48) == 2; });
    row("floor", {QStringLiteral("floor(BLOCK_M / 48) == 1")},
        [](const Cfg& c) { return std::floor(double(c.m) / 48) == 1; });
    row("real division", {QStringLiteral("BLOCK_M / BLOCK_N >= 2")},
        [](const Cfg& c) { return double(c.m) / c.n >= 2; });
    row("first and last parameter", {QStringLiteral("BLOCK_M <= 32 || split_k")},
        [](const Cfg& c) { return c.m <= 32 || c.split; });
}

void TestConfigSpace::constraints()
{
    QFETCH(QStringList, constraints);
    QFETCH(Predicate, predicate);

    const auto space = parse(referenceSpace(constraints));
    QVERIFY2(space.ok(), qPrintable(space.error()));
    QCOMPARE(space->constraints(), constraints);
    QCOMPARE(space->productSize(), quint64(5 * 4 * 4 * 4 * 5 * 3 * 2));

    const auto expected = bruteForce(predicate.accepts);
    QCOMPARE(space->size(), qint64(expected.size()));
    for (qint64 i = 0; i < space->size(); ++i) {
        // Enumeration order is ascending ordinal with the first parameter most significant.
        QCOMPARE(space->ordinal(i), expected[i].first);
        if (i > 0)
            QVERIFY(space->ordinal(i) > space->ordinal(i - 1));
        QCOMPARE(space->config(i), toConfig(expected[i].second));
        QCOMPARE(space->indexOfOrdinal(expected[i].first), i);
    }
}

void TestConfigSpace::unconstrainedEnumerationOrder()
{
    const auto space = parse(R"({"parameters": [
        {"name": "a", "values": [10, 20]},
        {"name": "b", "values": ["x", "y", "z"]},
        {"name": "c", "values": [false, true]}
    ]})");
    QVERIFY2(space.ok(), qPrintable(space.error()));
    QCOMPARE(space->size(), qint64(12));
    QStringList seen;
    for (qint64 i = 0; i < space->size(); ++i) {
        const QJsonObject c = space->config(i);
        seen.append(QStringLiteral("%1%2%3")
                        .arg(c.value(QLatin1String("a")).toInt())
                        .arg(c.value(QLatin1String("b")).toString())
                        .arg(c.value(QLatin1String("c")).toBool() ? 1 : 0));
        const std::vector<int> idx = space->valueIndices(i);
        QCOMPARE(idx.size(), size_t(3));
        QCOMPARE(quint64(idx[0] * 6 + idx[1] * 2 + idx[2]), space->ordinal(i));
    }
    QCOMPARE(seen, (QStringList{QStringLiteral("10x0"), QStringLiteral("10x1"), QStringLiteral("10y0"),
                                QStringLiteral("10y1"), QStringLiteral("10z0"), QStringLiteral("10z1"),
                                QStringLiteral("20x0"), QStringLiteral("20x1"), QStringLiteral("20y0"),
                                QStringLiteral("20y1"), QStringLiteral("20z0"), QStringLiteral("20z1")}));
}

void TestConfigSpace::indexOfInvertsConfig_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qint64>("size");

    QTest::newRow("reference, unconstrained") << referenceSpace({}) << qint64(9600);
    QTest::newRow("reference, constrained")
        << referenceSpace({QStringLiteral("BLOCK_M >= BLOCK_N || num_warps == 8"), QStringLiteral("layout != \"col\"")})
        << qint64(bruteForce([](const Cfg& c) { return (c.m >= c.n || c.w == 8) && c.layout != QLatin1String("col"); }).size());
    QTest::newRow("range and float")
        << QByteArray(R"({"parameters": [{"name": "t", "range": {"start": 1, "stop": 8}},
                                         {"name": "alpha", "values": [0.25, 0.5, 1.5]}],
                          "constraints": ["t * alpha >= 1"]})")
        << qint64(5 + 7 + 8); // t*0.25 >= 1: t in 4..8; t*0.5 >= 1: t in 2..8; t*1.5 >= 1: all
}

void TestConfigSpace::indexOfInvertsConfig()
{
    QFETCH(QByteArray, json);
    QFETCH(qint64, size);

    const auto space = parse(json);
    QVERIFY2(space.ok(), qPrintable(space.error()));
    QCOMPARE(space->size(), size);
    for (qint64 i = 0; i < space->size(); ++i) {
        QCOMPARE(space->indexOf(space->config(i)), i);
        const std::vector<int> idx = space->valueIndices(i);
        for (int p = 0; p < space->dimensions(); ++p)
            QCOMPARE(space->valueIndex(p, space->config(i).value(space->parameters()[p].name)), idx[size_t(p)]);
    }
}

void TestConfigSpace::indexOfRejects()
{
    const auto space = parse(referenceSpace({QStringLiteral("BLOCK_M >= BLOCK_N")}));
    QVERIFY2(space.ok(), qPrintable(space.error()));
    Cfg c{64, 32, 16, 4, 2, QStringLiteral("row"), true};
    const qint64 valid = space->indexOf(toConfig(c));
    QVERIFY(valid >= 0);
    QCOMPARE(space->config(valid), toConfig(c));

    // The same numbers written as doubles are the same configuration.
    QJsonObject asDoubles = toConfig(c);
    asDoubles.insert(QStringLiteral("BLOCK_M"), 64.0);
    QCOMPARE(space->indexOf(asDoubles), valid);

    QJsonObject excluded = toConfig(Cfg{32, 64, 16, 4, 2, QStringLiteral("row"), true});
    QCOMPARE(space->indexOf(excluded), qint64(-1));
    QJsonObject unknownValue = toConfig(c);
    unknownValue.insert(QStringLiteral("BLOCK_M"), 48);
    QCOMPARE(space->indexOf(unknownValue), qint64(-1));
    QJsonObject wrongType = toConfig(c);
    wrongType.insert(QStringLiteral("layout"), 1);
    QCOMPARE(space->indexOf(wrongType), qint64(-1));
    QJsonObject missing = toConfig(c);
    missing.remove(QStringLiteral("split_k"));
    QCOMPARE(space->indexOf(missing), qint64(-1));
    QJsonObject extra = toConfig(c);
    extra.insert(QStringLiteral("GROUP_M"), 8);
    QCOMPARE(space->indexOf(extra), qint64(-1));
    QJsonObject renamed = missing;
    renamed.insert(QStringLiteral("splitk"), true);
    QCOMPARE(space->indexOf(renamed), qint64(-1));
}

void TestConfigSpace::keyIsIndependentOfParameterOrder_data()
{
    QTest::addColumn<QStringList>("constraints");
    QTest::addColumn<QVector<int>>("order");

    QTest::newRow("reversed") << QStringList{} << QVector<int>{6, 5, 4, 3, 2, 1, 0};
    QTest::newRow("shuffled, constrained")
        << QStringList{QStringLiteral("BLOCK_M * BLOCK_K * 2 * num_stages <= 65536"), QStringLiteral("layout == \"row\" || split_k")}
        << QVector<int>{3, 6, 0, 5, 2, 4, 1};
}

void TestConfigSpace::keyIsIndependentOfParameterOrder()
{
    QFETCH(QStringList, constraints);
    QFETCH(QVector<int>, order);

    const auto a = parse(referenceSpace(constraints));
    const auto b = parse(referenceSpace(constraints, order));
    QVERIFY2(a.ok(), qPrintable(a.error()));
    QVERIFY2(b.ok(), qPrintable(b.error()));
    QCOMPARE(b->parameters().at(0).name, referenceParameters().at(order[0]).value(QLatin1String("name")).toString());
    QCOMPARE(a->size(), b->size());
    QVERIFY(a->size() > 0);

    const QSet<QString> keysA = keySet(a.value());
    QCOMPARE(qint64(keysA.size()), a->size()); // keys are unique
    QCOMPARE(keySet(b.value()), keysA);
    for (qint64 i = 0; i < a->size(); ++i) {
        const qint64 j = b->indexOf(a->config(i));
        QVERIFY(j >= 0);
        QCOMPARE(b->key(j), a->key(i));
        QCOMPARE(a->key(i), ConfigSpace::keyOf(a->config(i)));
    }
}

void TestConfigSpace::keyFormat()
{
    QJsonObject forward;
    forward.insert(QStringLiteral("b"), 1);
    forward.insert(QStringLiteral("a"), QStringLiteral("x"));
    forward.insert(QStringLiteral("c"), true);
    QCOMPARE(ConfigSpace::keyOf(forward), QStringLiteral(R"({"a":"x","b":1,"c":true})"));
    QJsonObject otherOrder;
    otherOrder.insert(QStringLiteral("c"), true);
    otherOrder.insert(QStringLiteral("a"), QStringLiteral("x"));
    otherOrder.insert(QStringLiteral("b"), 1);
    QCOMPARE(ConfigSpace::keyOf(otherOrder), ConfigSpace::keyOf(forward));
    otherOrder.insert(QStringLiteral("b"), 2);
    QVERIFY(ConfigSpace::keyOf(otherOrder) != ConfigSpace::keyOf(forward));
}

void TestConfigSpace::toJsonRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("reference") << referenceSpace({QStringLiteral("BLOCK_M >= BLOCK_N || num_warps == 8"),
                                                  QStringLiteral("layout == \"row\" or not split_k")});
    QTest::newRow("range and float") << QByteArray(R"({"name": "r", "parameters": [
        {"name": "t", "range": {"start": 2, "stop": 12, "step": 5}},
        {"name": "alpha", "values": [0.125, 3.5]}]})");
    const QString dir = QStringLiteral(DEJAVU_DATASETS_DIR "/../spaces/");
    for (const QString& file : {QStringLiteral("triton_matmul.json"), QStringLiteral("convolution.json")}) {
        QFile f(dir + file);
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
        QTest::newRow(qPrintable(file)) << f.readAll();
    }
}

void TestConfigSpace::toJsonRoundTrip()
{
    QFETCH(QByteArray, json);

    const auto original = parse(json);
    QVERIFY2(original.ok(), qPrintable(original.error()));
    const QByteArray written = QJsonDocument(original->toJson()).toJson();
    const auto copy = ConfigSpace::fromJson(written, QStringLiteral("written.json"));
    QVERIFY2(copy.ok(), qPrintable(copy.error()));

    QCOMPARE(copy->name(), original->name());
    QCOMPARE(copy->constraints(), original->constraints());
    QCOMPARE(copy->dimensions(), original->dimensions());
    for (int p = 0; p < original->dimensions(); ++p) {
        const Parameter& a = original->parameters()[p];
        const Parameter& b = copy->parameters()[p];
        QCOMPARE(b.name, a.name);
        QCOMPARE(int(b.type), int(a.type));
        QCOMPARE(b.values, a.values);
    }
    QCOMPARE(copy->productSize(), original->productSize());
    QCOMPARE(copy->size(), original->size());
    for (qint64 i = 0; i < original->size(); ++i) {
        QCOMPARE(copy->ordinal(i), original->ordinal(i));
        QCOMPARE(copy->key(i), original->key(i));
    }
    // Written again, the text is the same: nothing is lost or reordered on the way.
    QCOMPARE(QJsonDocument(copy->toJson()).toJson(), written);
}

void TestConfigSpace::badFiles_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("fragments");

    auto row = [](const char* name, const char* json, QStringList fragments) {
        QTest::newRow(name) << QByteArray(json) << fragments;
    };
    row("invalid JSON", "{\n  \"parameters\": [\n    {\"name\": \"a\", \"values\": [1, 2,]}\n  ]\n}",
        {QStringLiteral("space.json:3:"), QStringLiteral("invalid JSON")});
    row("invalid JSON column", "{\"parameters\": [\n{\"name\" \"a\"}]}",
        {QStringLiteral("space.json:2:10: invalid JSON")});
    row("empty file", "", {QStringLiteral("space.json:"), QStringLiteral("invalid JSON")});
    row("not an object", "[1, 2]", {QStringLiteral("space.json: expected a JSON object")});
    row("missing parameters", R"({"name": "x"})",
        {QStringLiteral("space.json: parameters: expected a non-empty array")});
    row("empty parameters", R"({"parameters": []})",
        {QStringLiteral("space.json: parameters: expected a non-empty array")});
    row("parameters not an array", R"({"parameters": {"a": [1, 2]}})",
        {QStringLiteral("space.json: parameters: expected a non-empty array")});
    row("non-object parameter", R"({"parameters": [{"name": "a", "values": [1]}, "b"]})",
        {QStringLiteral("space.json: parameters[1]: expected an object")});
    row("name starts with a digit", R"({"parameters": [{"name": "1abc", "values": [1]}]})",
        {QStringLiteral("space.json: parameters[0].name: expected an identifier"), QStringLiteral("\"1abc\"")});
    row("name with a space", R"({"parameters": [{"name": "a", "values": [1]}, {"name": "block m", "values": [1]}]})",
        {QStringLiteral("space.json: parameters[1].name: expected an identifier"), QStringLiteral("\"block m\"")});
    row("name missing", R"({"parameters": [{"values": [1]}]})",
        {QStringLiteral("space.json: parameters[0].name: expected an identifier"), QStringLiteral("got nothing")});
    row("name not a string", R"({"parameters": [{"name": 5, "values": [1]}]})",
        {QStringLiteral("space.json: parameters[0].name: expected an identifier"), QStringLiteral("got 5")});
    row("duplicate parameter",
        R"({"parameters": [{"name": "a", "values": [1]}, {"name": "b", "values": [1]}, {"name": "a", "values": [2]}]})",
        {QStringLiteral("space.json: parameters[2].name: duplicate parameter 'a'")});
    row("duplicate value", R"({"parameters": [{"name": "a", "values": [1, 2, 1]}]})",
        {QStringLiteral("space.json: parameters[0].values[2]: duplicate value 1")});
    row("duplicate value as float", R"({"parameters": [{"name": "a", "values": [1, 2.0, 2]}]})",
        {QStringLiteral("space.json: parameters[0].values[2]: duplicate value 2")});
    row("duplicate string", R"({"parameters": [{"name": "l", "values": ["row", "col", "row"]}]})",
        {QStringLiteral("space.json: parameters[0].values[2]: duplicate value \"row\"")});
    row("mixed number and string", R"({"parameters": [{"name": "a", "values": [1, "two"]}]})",
        {QStringLiteral("space.json: parameters[0].values[1]: all values of a parameter must have one type")});
    row("mixed bool and number", R"({"parameters": [{"name": "a", "values": [true, 0]}]})",
        {QStringLiteral("space.json: parameters[0].values[1]: all values of a parameter must have one type")});
    row("null value", R"({"parameters": [{"name": "a", "values": [1, null]}]})",
        {QStringLiteral("space.json: parameters[0].values[1]: expected a number, boolean or string, got null")});
    row("array value", R"({"parameters": [{"name": "a", "values": [[1, 2]]}]})",
        {QStringLiteral("space.json: parameters[0].values[0]: expected a number, boolean or string, got [1,2]")});
    row("object value", R"({"parameters": [{"name": "a", "values": [{"x": 1}]}]})",
        {QStringLiteral("space.json: parameters[0].values[0]: expected a number, boolean or string")});
    row("empty values", R"({"parameters": [{"name": "a", "values": []}]})",
        {QStringLiteral("space.json: parameters[0].values: expected a non-empty array")});
    row("missing values", R"({"parameters": [{"name": "a"}]})",
        {QStringLiteral("space.json: parameters[0].values: expected a non-empty array")});
    row("values not an array", R"({"parameters": [{"name": "a", "values": 4}]})",
        {QStringLiteral("space.json: parameters[0].values: expected a non-empty array")});
    row("unknown parameter field", R"({"parameters": [{"name": "a", "value": [1, 2]}]})",
        {QStringLiteral("space.json: parameters[0].value: unknown field")});
    row("unknown top-level field", R"({"parameters": [{"name": "a", "values": [1, 2]}], "constraint": ["a > 1"]})",
        {QStringLiteral("space.json: constraint: unknown field")});
    row("name not a string at top level", R"({"name": 3, "parameters": [{"name": "a", "values": [1]}]})",
        {QStringLiteral("space.json: name: expected a string")});
    row("range and values", R"({"parameters": [{"name": "a", "values": [1], "range": {"start": 1, "stop": 2}}]})",
        {QStringLiteral("space.json: parameters[0]: give either \"values\" or \"range\"")});
    row("range without stop", R"({"parameters": [{"name": "a", "range": {"start": 1}}]})",
        {QStringLiteral("space.json: parameters[0].range: expected {\"start\": number")});
    row("range string bound", R"({"parameters": [{"name": "a", "range": {"start": "1", "stop": 4}}]})",
        {QStringLiteral("space.json: parameters[0].range: expected {\"start\": number")});
    row("range zero step", R"({"parameters": [{"name": "a", "range": {"start": 1, "stop": 4, "step": 0}}]})",
        {QStringLiteral("space.json: parameters[0].range: needs step > 0")});
    row("range backwards", R"({"parameters": [{"name": "a", "range": {"start": 4, "stop": 1}}]})",
        {QStringLiteral("space.json: parameters[0].range: needs step > 0, stop >= start")});
    row("range too long", R"({"parameters": [{"name": "a", "range": {"start": 0, "stop": 1e9}}]})",
        {QStringLiteral("space.json: parameters[0].range:"), QStringLiteral("at most 1e6 values")});
    row("constraints not an array", R"({"parameters": [{"name": "a", "values": [1, 2]}], "constraints": "a > 1"})",
        {QStringLiteral("space.json: constraints: expected an array of strings")});
    row("constraint not a string", R"({"parameters": [{"name": "a", "values": [1, 2]}], "constraints": ["a > 1", 5]})",
        {QStringLiteral("space.json: constraints[1]: expected a string, got 5")});
    row("unknown parameter in constraint",
        "{\n"                                                   // 1
        "  \"name\": \"matmul\",\n"                             // 2
        "  \"parameters\": [\n"                                 // 3
        "    {\"name\": \"BLOCK_M\", \"values\": [32, 64]},\n"  // 4
        "    {\"name\": \"BLOCK_N\", \"values\": [32, 64]},\n"  // 5
        "    {\"name\": \"BLOCK_K\", \"values\": [32, 64]},\n"  // 6
        "    {\"name\": \"num_warps\", \"values\": [4, 8]},\n"  // 7
        "    {\"name\": \"num_stages\", \"values\": [2, 3]},\n" // 8
        "    {\"name\": \"GROUP_M\", \"values\": [8]}\n"        // 9
        "  ],\n"                                                // 10
        "  \"constraints\": [\n"                                // 11
        "    \"BLOCK_M <= 128\",\n"                             // 12
        "    \"BLOCK_N <= 128\",\n"                             // 13
        "    \"BLOCK_Q <= 128\"\n"                              // 14
        "  ]\n"
        "}\n",
        {QStringLiteral("space.json:14:"), QStringLiteral("unknown parameter 'BLOCK_Q'"),
         QStringLiteral("'BLOCK_Q <= 128'")});
    row("syntax error in constraint",
        "{\n  \"parameters\": [{\"name\": \"a\", \"values\": [1, 2]}],\n  \"constraints\": [\n    \"a > 0\",\n    \"a * * 2 > 1\"\n  ]\n}",
        {QStringLiteral("space.json:5:"), QStringLiteral("'a * * 2 > 1'")});
    row("unbalanced parenthesis",
        "{\n  \"parameters\": [{\"name\": \"a\", \"values\": [1, 2]}],\n  \"constraints\": [\"(a > 0\"]\n}",
        {QStringLiteral("space.json:3:"), QStringLiteral("'(a > 0'")});
    row("unterminated string literal",
        "{\n  \"parameters\": [{\"name\": \"l\", \"values\": [\"row\", \"col\"]}],\n  \"constraints\": [\n\"l == 'row\"]\n}",
        {QStringLiteral("space.json:4:"), QStringLiteral("unterminated string literal")});
    row("empty constraint",
        "{\n  \"parameters\": [{\"name\": \"a\", \"values\": [1, 2]}],\n  \"constraints\": [\n    \"a > 0\",\n    \"\"\n  ]\n}",
        {QStringLiteral("space.json:5:"), QStringLiteral("empty expression")});
    row("blank constraint",
        "{\n  \"parameters\": [{\"name\": \"a\", \"values\": [1, 2]}],\n\n  \"constraints\": [\"   \"]\n}",
        {QStringLiteral("space.json:4:"), QStringLiteral("empty expression")});
}

void TestConfigSpace::badFiles()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, fragments);

    const auto space = parse(json);
    QVERIFY(!space.ok());
    for (const QString& fragment : fragments)
        QVERIFY2(space.error().contains(fragment),
                 qPrintable(QStringLiteral("'%1' does not contain '%2'").arg(space.error(), fragment)));
}

void TestConfigSpace::everyCombinationExcluded()
{
    for (const QString& constraint : {QStringLiteral("BLOCK_M < 0"), QStringLiteral("1 > 2"),
                                      QStringLiteral("false"), QStringLiteral("layout == \"row\" && layout == \"col\"")}) {
        const auto space = parse(referenceSpace({QStringLiteral("num_warps >= 1"), constraint}));
        QVERIFY2(space.ok(), qPrintable(space.error()));
        QCOMPARE(space->size(), qint64(0));
        QCOMPARE(space->productSize(), quint64(9600));
        QCOMPARE(space->indexOf(toConfig(Cfg{16, 16, 16, 1, 1, QStringLiteral("row"), false})), qint64(-1));
        QCOMPARE(space->indexOfOrdinal(0), qint64(-1));
    }
}

void TestConfigSpace::hugeProductSmallSpace()
{
    // 14 parameters of 10 values: 10^14 combinations. The per-parameter constraints prune each
    // level, so only a few thousand candidates are ever looked at.
    const int dims = 14;
    QJsonArray params;
    QStringList constraints;
    for (int i = 0; i < dims; ++i) {
        QJsonArray values;
        for (int v = 0; v < 10; ++v)
            values.append(v);
        params.append(param(QStringLiteral("p%1").arg(i), values));
        constraints.append(QStringLiteral("p%1 < 2").arg(i));
    }
    constraints.append(QStringLiteral("p0 + p%1 <= 1").arg(dims - 1));
    const QByteArray json = QJsonDocument(QJsonObject{{QStringLiteral("parameters"), params},
                                                      {QStringLiteral("constraints"), QJsonArray::fromStringList(constraints)}})
                                .toJson();
    const auto space = parse(json);
    QVERIFY2(space.ok(), qPrintable(space.error()));
    QCOMPARE(space->productSize(), quint64(100'000'000'000'000));

    // Brute force over the only values the single-parameter constraints leave (0 and 1).
    qint64 expected = 0;
    for (quint32 bits = 0; bits < (1u << dims); ++bits) {
        const int first = int((bits >> (dims - 1)) & 1u);
        const int last = int(bits & 1u);
        expected += first + last <= 1 ? 1 : 0;
    }
    QCOMPARE(expected, qint64(3 << (dims - 2)));
    QCOMPARE(space->size(), expected);
    // The last valid configuration has every parameter at 1 except p13, which p0 + p13 <= 1 keeps at 0.
    const QJsonObject last = space->config(space->size() - 1);
    QCOMPARE(last.value(QLatin1String("p0")).toInt(), 1);
    QCOMPARE(last.value(QLatin1String("p13")).toInt(), 0);
    QCOMPARE(last.value(QLatin1String("p12")).toInt(), 1);
}

void TestConfigSpace::productOverflow()
{
    QJsonArray params;
    for (int i = 0; i < 64; ++i)
        params.append(param(QStringLiteral("p%1").arg(i), QJsonArray{0, 1}));
    const auto space = parse(QJsonDocument(QJsonObject{{QStringLiteral("parameters"), params}}).toJson());
    QVERIFY(!space.ok());
    QVERIFY2(space.error().startsWith(QLatin1String("space.json: ")), qPrintable(space.error()));
    QVERIFY2(space.error().contains(QLatin1String("exceeds 2^62")), qPrintable(space.error()));
}

void TestConfigSpace::productCheckedWhileReading()
{
    // Seen while writing the space-file fuzz target: thirty lines of 10^6-value ranges were all
    // built (minutes, gigabytes) before the product was found too large. The reader now stops at the
    // parameter that takes the product past 2^62 (here the fifth: (10^4)^5 > 2^62), naming it.
    QJsonArray params;
    for (int i = 0; i < 30; ++i)
        params.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("p%1").arg(i)},
                                  {QStringLiteral("range"), QJsonObject{{QStringLiteral("start"), 1}, {QStringLiteral("stop"), 10000}}}});
    const auto ranges = parse(QJsonDocument(QJsonObject{{QStringLiteral("parameters"), params}}).toJson());
    QVERIFY(!ranges.ok());
    QCOMPARE(ranges.error(), QStringLiteral("space.json: parameters[4].range: the Cartesian product of the parameters exceeds 2^62 combinations"));
    // The same for a list of values: (10^4)^4 * 480 > 2^62.
    QJsonArray list;
    for (int v = 1; v <= 480; ++v)
        list.append(v);
    params[4] = param(QStringLiteral("p4"), list);
    const auto values = parse(QJsonDocument(QJsonObject{{QStringLiteral("parameters"), params}}).toJson());
    QVERIFY(!values.ok());
    QCOMPARE(values.error(), QStringLiteral("space.json: parameters[4].values: the Cartesian product of the parameters exceeds 2^62 combinations"));
}

// 10^12 combinations and one constraint over the first and the last parameter that none meets:
// nothing prunes, and a walk of every combination would take hours. It stops at the limit of
// combinations examined (EnumerationLimits::kMaxExamined), named in the error; Ctrl-C also ends
// it (tst_constraintset::interruptStopsTheWalk).
void TestConfigSpace::lateConstraintOverAHugeProductIsRefused()
{
    QJsonArray params;
    QJsonArray values;
    for (int v = 0; v < 100; ++v)
        values.append(v);
    for (int i = 0; i < 6; ++i)
        params.append(param(QStringLiteral("p%1").arg(i), values));
    const QByteArray json = QJsonDocument(QJsonObject{{QStringLiteral("parameters"), params},
                                                      {QStringLiteral("constraints"), QJsonArray{QStringLiteral("p0 + p5 > 1000")}}})
                                .toJson();
    const auto space = parse(json);
    QVERIFY(!space.ok());
    QCOMPARE(space.error(), QStringLiteral("space.json: enumerating the space examined more than 100000000 combinations that are "
                                           "not valid configurations (the limit); constrain the first parameters, or narrow their values"));
}

QTEST_GUILESS_MAIN(TestConfigSpace)
#include "tst_configspace.moc"

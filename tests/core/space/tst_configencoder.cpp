#include "space/ConfigEncoder.h"
#include "space/ConfigSpace.h"

#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace dv;

namespace {

Parameter parameter(const QString& name, ParameterType type, QVector<QJsonValue> values)
{
    Parameter p;
    p.name = name;
    p.type = type;
    p.values = std::move(values);
    return p;
}

// a: ordinal with four values, s: a three-valued string (one-hot), b: a bool (two values, one
// column), c: a single value (no information, dropped). 4 * 3 * 2 = 24 configurations.
ConfigSpace mixedSpace()
{
    auto space = ConfigSpace::create(
        QStringLiteral("mixed"),
        {parameter(QStringLiteral("a"), ParameterType::Int, {1, 2, 4, 8}),
         parameter(QStringLiteral("s"), ParameterType::String, {QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")}),
         parameter(QStringLiteral("b"), ParameterType::Bool, {false, true}),
         parameter(QStringLiteral("c"), ParameterType::Int, {7})},
        {});
    if (!space)
        qFatal("mixed space: %s", qPrintable(space.error()));
    return space.value();
}

std::vector<double> row(const Eigen::MatrixXd& X, Eigen::Index r)
{
    std::vector<double> out;
    for (Eigen::Index c = 0; c < X.cols(); ++c)
        out.push_back(X(r, c));
    return out;
}

} // namespace

class TestConfigEncoder : public QObject {
    Q_OBJECT

private slots:
    void layout_data();
    void layout();
    void encodesRanksAndOneHot_data();
    void encodesRanksAndOneHot();
    void levelColumnsPutTwoValuesAtDistanceOne();
    void encodeMatchesEncodeInto();
    void aSpaceOfSingleValuesHasNoColumns();
};

void TestConfigEncoder::layout_data()
{
    QTest::addColumn<bool>("levelColumns");
    QTest::addColumn<int>("dimensions");
    QTest::addColumn<int>("plainDimensions");
    QTest::addColumn<std::vector<int>>("groups");
    // Plain: a (rank), s (three one-hot columns, each its own length scale), b (rank); c dropped.
    QTest::newRow("plain") << false << 5 << 5 << std::vector<int>{0, 1, 2, 3, 4};
    // Level columns: s's one-hot columns share one length scale; a's four level columns follow the
    // plain ones with one shared scale of their own (b has two values: no level columns).
    QTest::newRow("levels") << true << 9 << 5 << std::vector<int>{0, 1, 1, 1, 2, 3, 3, 3, 3};
}

void TestConfigEncoder::layout()
{
    QFETCH(bool, levelColumns);
    QFETCH(int, dimensions);
    QFETCH(int, plainDimensions);
    QFETCH(std::vector<int>, groups);
    const ConfigEncoder encoder(mixedSpace(), levelColumns);
    QCOMPARE(encoder.dimensions(), dimensions);
    QCOMPARE(encoder.plainDimensions(), plainDimensions);
    QCOMPARE(encoder.lengthScaleGroups(), groups);
}

void TestConfigEncoder::encodesRanksAndOneHot_data()
{
    const double h = 1.0 / std::sqrt(2.0);
    QTest::addColumn<QJsonObject>("config");
    QTest::addColumn<bool>("levelColumns");
    QTest::addColumn<std::vector<double>>("expected");
    const auto config = [](int a, const char* s, bool b) {
        return QJsonObject{{QStringLiteral("a"), a}, {QStringLiteral("s"), QString::fromLatin1(s)},
                           {QStringLiteral("b"), b}, {QStringLiteral("c"), 7}};
    };
    // Ranks, not values: 1, 2, 4, 8 are evenly spaced at 0, 1/3, 2/3, 1.
    QTest::newRow("first") << config(1, "x", false) << false << std::vector<double>{0, 1, 0, 0, 0};
    QTest::newRow("rank of 4") << config(4, "z", true) << false << std::vector<double>{2.0 / 3, 0, 0, 1, 1};
    QTest::newRow("last") << config(8, "y", true) << false << std::vector<double>{1, 0, 1, 0, 1};
    QTest::newRow("levels of 2") << config(2, "x", false) << true
                                 << std::vector<double>{1.0 / 3, 1, 0, 0, 0, 0, h, 0, 0};
    QTest::newRow("levels of 8") << config(8, "z", true) << true
                                 << std::vector<double>{1, 0, 0, 1, 1, 0, 0, 0, h};
}

void TestConfigEncoder::encodesRanksAndOneHot()
{
    QFETCH(QJsonObject, config);
    QFETCH(bool, levelColumns);
    QFETCH(std::vector<double>, expected);
    const ConfigSpace space = mixedSpace();
    const qint64 index = space.indexOf(config);
    QVERIFY(index >= 0);
    const Eigen::MatrixXd X = ConfigEncoder(space, levelColumns).encode({index});
    QCOMPARE(X.rows(), Eigen::Index(1));
    const std::vector<double> got = row(X, 0);
    QCOMPARE(got.size(), expected.size());
    for (size_t c = 0; c < got.size(); ++c)
        QVERIFY2(std::abs(got[c] - expected[c]) < 1e-12, qPrintable(QStringLiteral("column %1: %2, expected %3").arg(c).arg(got[c]).arg(expected[c])));
}

void TestConfigEncoder::levelColumnsPutTwoValuesAtDistanceOne()
{
    // Two configurations that differ only in a: in the level columns they are at distance 1
    // whichever two values they have, while the rank column keeps their order distance.
    const ConfigSpace space = mixedSpace();
    const ConfigEncoder encoder(space, true);
    const int plain = encoder.plainDimensions();
    for (int a1 : {1, 2, 4, 8}) {
        for (int a2 : {1, 2, 4, 8}) {
            if (a1 == a2)
                continue;
            const auto at = [&](int a) {
                return space.indexOf(QJsonObject{{QStringLiteral("a"), a}, {QStringLiteral("s"), QStringLiteral("y")},
                                                 {QStringLiteral("b"), true}, {QStringLiteral("c"), 7}});
            };
            const Eigen::MatrixXd X = encoder.encode({at(a1), at(a2)});
            const double levelDistance = (X.row(0).tail(X.cols() - plain) - X.row(1).tail(X.cols() - plain)).norm();
            QVERIFY2(std::abs(levelDistance - 1.0) < 1e-12, qPrintable(QString::number(levelDistance)));
            const double rankDistance = std::abs(X(0, 0) - X(1, 0));
            const double ranks = std::abs(std::log2(double(a1)) - std::log2(double(a2)));
            QVERIFY(std::abs(rankDistance - ranks / 3.0) < 1e-12);
        }
    }
}

void TestConfigEncoder::encodeMatchesEncodeInto()
{
    const ConfigSpace space = mixedSpace();
    QCOMPARE(space.size(), qint64(24));
    for (bool levels : {false, true}) {
        const ConfigEncoder encoder(space, levels);
        std::vector<qint64> all;
        for (qint64 i = 0; i < space.size(); ++i)
            all.push_back(i);
        const Eigen::MatrixXd X = encoder.encode(all);
        QCOMPARE(X.rows(), Eigen::Index(space.size()));
        QCOMPARE(X.cols(), Eigen::Index(encoder.dimensions()));
        QVERIFY((X.array() >= 0).all() && (X.array() <= 1).all());
        std::vector<double> one(size_t(encoder.dimensions()));
        for (qint64 i = 0; i < space.size(); ++i) {
            encoder.encodeInto(space.valueIndices(i), one.data());
            QCOMPARE(row(X, Eigen::Index(i)), one);
        }
        // Different configurations never share an encoding (c is the only dropped parameter).
        for (Eigen::Index i = 0; i < X.rows(); ++i)
            for (Eigen::Index j = i + 1; j < X.rows(); ++j)
                QVERIFY((X.row(i) - X.row(j)).norm() > 0);
    }
}

void TestConfigEncoder::aSpaceOfSingleValuesHasNoColumns()
{
    auto space = ConfigSpace::create(QStringLiteral("fixed"),
                                     {parameter(QStringLiteral("a"), ParameterType::Int, {64}),
                                      parameter(QStringLiteral("s"), ParameterType::String, {QStringLiteral("only")})},
                                     {});
    QVERIFY2(space.ok(), qPrintable(space.error()));
    const ConfigEncoder encoder(space.value(), true);
    QCOMPARE(encoder.dimensions(), 0);
    QCOMPARE(encoder.plainDimensions(), 0);
    QVERIFY(encoder.lengthScaleGroups().empty());
    QCOMPARE(encoder.encode({0}).cols(), Eigen::Index(0));
}

QTEST_GUILESS_MAIN(TestConfigEncoder)
#include "tst_configencoder.moc"

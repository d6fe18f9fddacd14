#include "space/ConstraintSet.h"

#include <QtTest>

#include <algorithm>
#include <functional>

using namespace dv;

namespace {

// a: 1..6, b: 1 2 4 8, c: "x" "y" "z", d: false true -> 144 combinations.
const QVector<int> kA{1, 2, 3, 4, 5, 6};
const QVector<int> kB{1, 2, 4, 8};
const QStringList kC{QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")};
const QVector<bool> kD{false, true};

QVector<Parameter> parameters()
{
    Parameter a{QStringLiteral("a"), ParameterType::Int, {}};
    for (int v : kA)
        a.values.append(v);
    Parameter b{QStringLiteral("b"), ParameterType::Int, {}};
    for (int v : kB)
        b.values.append(v);
    Parameter c{QStringLiteral("c"), ParameterType::String, {}};
    for (const QString& v : kC)
        c.values.append(v);
    Parameter d{QStringLiteral("d"), ParameterType::Bool, {}};
    for (bool v : kD)
        d.values.append(v);
    return {a, b, c, d};
}

struct Combination {
    int a, b;
    QString c;
    bool d;
};

struct Predicate {
    std::function<bool(const Combination&)> accepts;
};

// Ordinals of the accepted combinations, first parameter most significant.
std::vector<quint64> bruteForce(const std::function<bool(const Combination&)>& accepts)
{
    std::vector<quint64> out;
    quint64 ordinal = 0;
    for (int a : kA)
        for (int b : kB)
            for (const QString& c : kC)
                for (bool d : kD) {
                    if (accepts(Combination{a, b, c, d}))
                        out.push_back(ordinal);
                    ++ordinal;
                }
    return out;
}

std::vector<int> indicesOf(quint64 ordinal)
{
    const int d = int(ordinal % 2);
    ordinal /= 2;
    const int c = int(ordinal % 3);
    ordinal /= 3;
    const int b = int(ordinal % 4);
    return {int(ordinal / 4), b, c, d};
}

std::vector<quint64> enumerateAll(const ConstraintSet& set, QString* error)
{
    std::vector<quint64> out;
    const auto run = set.enumerate([&](quint64 ordinal) {
        out.push_back(ordinal);
        return true;
    });
    if (!run)
        *error = run.error();
    return out;
}

} // namespace

Q_DECLARE_METATYPE(Predicate)

class TestConstraintSet : public QObject {
    Q_OBJECT

private slots:
    void compileErrors_data();
    void compileErrors();
    void count();
    void accepts_data();
    void accepts();
    void enumerateMatchesBruteForce_data();
    void enumerateMatchesBruteForce();
    void enumerateStopsEarly_data();
    void enumerateStopsEarly();
    void emptyParameterList();
    void undefinedValueIsAnError_data();
    void undefinedValueIsAnError();
    void lateConstraintOverAHugeProductStopsAtTheLimit();
    void validConfigurationsDoNotCountTowardsTheLimit();
    void interruptStopsTheWalk();
};

void TestConstraintSet::compileErrors_data()
{
    QTest::addColumn<QStringList>("expressions");
    QTest::addColumn<QStringList>("fragments");

    QTest::newRow("unknown parameter") << QStringList{QStringLiteral("BLOCK_Q <= 128")}
                                       << QStringList{QStringLiteral("constraint 1 'BLOCK_Q <= 128': unknown parameter 'BLOCK_Q'")};
    QTest::newRow("unknown parameter second")
        << QStringList{QStringLiteral("a > 1"), QStringLiteral("a * e > 4")}
        << QStringList{QStringLiteral("constraint 2 'a * e > 4': unknown parameter 'e'")};
    QTest::newRow("case matters") << QStringList{QStringLiteral("A > 1")}
                                  << QStringList{QStringLiteral("unknown parameter 'A'")};
    QTest::newRow("dangling operator") << QStringList{QStringLiteral("a +")}
                                       << QStringList{QStringLiteral("constraint 1 'a +': ")};
    QTest::newRow("two operators") << QStringList{QStringLiteral("a * * b")}
                                   << QStringList{QStringLiteral("constraint 1 'a * * b': ")};
    QTest::newRow("unbalanced parenthesis") << QStringList{QStringLiteral("(a > 1")}
                                            << QStringList{QStringLiteral("constraint 1 '(a > 1': ")};
    QTest::newRow("empty") << QStringList{QStringLiteral("a > 1"), QString()}
                           << QStringList{QStringLiteral("constraint 2 '': empty expression")};
    QTest::newRow("blank") << QStringList{QStringLiteral("  \t")}
                           << QStringList{QStringLiteral("constraint 1"), QStringLiteral("empty expression")};
    QTest::newRow("unterminated string") << QStringList{QStringLiteral("c == \"x")}
                                         << QStringList{QStringLiteral("constraint 1 'c == \"x': unterminated string literal")};
    QTest::newRow("unknown function") << QStringList{QStringLiteral("frob(a) > 1")}
                                      << QStringList{QStringLiteral("constraint 1 'frob(a) > 1': ")};
    // muparser's '=' assigns: `a = 3` would set a to 3 and count every combination valid.
    QTest::newRow("assignment") << QStringList{QStringLiteral("a = 3")}
                                << QStringList{QStringLiteral("constraint 1 'a = 3': '=' would assign a value, not compare; write '=='")};
    QTest::newRow("assignment inside") << QStringList{QStringLiteral("a > 1 and (b = 2)")}
                                       << QStringList{QStringLiteral("'=' would assign")};
    QTest::newRow("compound assignment") << QStringList{QStringLiteral("a += 1")} << QStringList{QStringLiteral("'=' would assign")};
    QTest::newRow("walrus") << QStringList{QStringLiteral("(a := 3) > 1")} << QStringList{QStringLiteral("'=' would assign")};
    // The forms fuzz_constraints found (fuzz/regressions/constraints): no spaces, before a string
    // literal (rewritten to a number first). Each made the pruned enumeration and
    // accepts() disagree, the assignment changing a parameter the walk had already fixed.
    QTest::newRow("assignment without spaces") << QStringList{QStringLiteral("a > 1"), QStringLiteral("b=2")}
                                               << QStringList{QStringLiteral("constraint 2 'b=2': '=' would assign")};
    QTest::newRow("assignment of a string") << QStringList{QStringLiteral("c = \"y\"")}
                                            << QStringList{QStringLiteral("constraint 1 'c = \"y\"': '=' would assign")};
    // muparser misread a NUL: `d \0= 1` was accepted as `d`, the rest dropped unseen.
    QTest::newRow("text after a NUL byte")
        << QStringList{QStringLiteral("a > 6") + QChar(0) + QStringLiteral(" or true")}
        << QStringList{QStringLiteral("constraint 1 'a > 6\\x00 or true': control character \\x00 at position 6")};
    QTest::newRow("assignment after a NUL byte")
        << QStringList{QStringLiteral("d ") + QChar(0) + QStringLiteral("= 1")}
        << QStringList{QStringLiteral("constraint 1 'd \\x00= 1': control character \\x00 at position 3")};
    // muparser reads a top-level comma as a second expression and Eval() answers the last one only.
    QTest::newRow("two expressions") << QStringList{QStringLiteral("a > 1, b > 2")}
                                     << QStringList{QStringLiteral("constraint 1 'a > 1, b > 2': 2 expressions separated by ','; join them with 'and'")};
    QTest::newRow("escape sequence quoted as text")
        << QStringList{QChar(0x1b) + QStringLiteral("[2J frob(a) > 1")}
        << QStringList{QStringLiteral("constraint 1 '\\x1b[2J frob(a) > 1': ")};
    QTest::newRow("constant division by zero") << QStringList{QStringLiteral("a > 1 / 0")}
                                               << QStringList{QStringLiteral("constraint 1 'a > 1 / 0': divides by zero or has no defined value among its constants")};
    QTest::newRow("too long") << QStringList{QStringLiteral("a > 1 && ").repeated(250) + QStringLiteral("a > 1")}
                              << QStringList{QStringLiteral("2255 characters, more than the 2000 a constraint may have"),
                                             QStringLiteral("constraint 1 '") + QStringLiteral("a > 1 && ").repeated(8) + QStringLiteral("a > 1 &&\u2026 (2255 characters)'")};
    QTest::newRow("long unknown name") << QStringList{QStringLiteral("a > ") + QString(1500, QLatin1Char('q'))}
                                       << QStringList{QStringLiteral("constraint 1 'a > qqqq")};
}

void TestConstraintSet::compileErrors()
{
    QFETCH(QStringList, expressions);
    QFETCH(QStringList, fragments);

    const auto set = ConstraintSet::compile(parameters(), expressions);
    QVERIFY(!set.ok());
    QVERIFY2(set.error().size() < 500, qPrintable(set.error().left(500))); // untrusted text is quoted clipped
    // Whatever names the constraint is followed by an explanation.
    QVERIFY2(!set.error().trimmed().endsWith(QLatin1Char(':')), qPrintable(set.error()));
    QVERIFY2(set.error().size() > set.error().lastIndexOf(QLatin1String("': ")) + 4, qPrintable(set.error()));
    // Untrusted text never brings control characters into the message (a NUL would cut it short).
    for (const QChar c : set.error())
        QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f, qPrintable(set.error()));
    for (const QString& fragment : fragments)
        QVERIFY2(set.error().contains(fragment),
                 qPrintable(QStringLiteral("'%1' does not contain '%2'").arg(set.error(), fragment)));
}

void TestConstraintSet::count()
{
    const auto none = ConstraintSet::compile(parameters(), {});
    QVERIFY2(none.ok(), qPrintable(none.error()));
    QCOMPARE(none->count(), 0);
    const auto three = ConstraintSet::compile(parameters(), {QStringLiteral("a > 1"), QStringLiteral("true"),
                                                             QStringLiteral("c == \"y\" || d")});
    QVERIFY2(three.ok(), qPrintable(three.error()));
    QCOMPARE(three->count(), 3);
}

void TestConstraintSet::accepts_data()
{
    QTest::addColumn<QStringList>("expressions");
    QTest::addColumn<QVector<int>>("indices");
    QTest::addColumn<bool>("expected");

    const QStringList product{QStringLiteral("a * b <= 12")};
    QTest::newRow("product inside") << product << QVector<int>{2, 2, 0, 0} << true;   // 3 * 4
    QTest::newRow("product boundary") << product << QVector<int>{5, 1, 0, 0} << true; // 6 * 2
    QTest::newRow("product outside") << product << QVector<int>{3, 3, 0, 0} << false; // 4 * 8
    const QStringList strings{QStringLiteral("c == \"y\" || d")};
    QTest::newRow("string match") << strings << QVector<int>{0, 0, 1, 0} << true;
    QTest::newRow("string mismatch, bool false") << strings << QVector<int>{0, 0, 2, 0} << false;
    QTest::newRow("string mismatch, bool true") << strings << QVector<int>{0, 0, 2, 1} << true;
    const QStringList both{QStringLiteral("a % 2 == 0"), QStringLiteral("not d")};
    QTest::newRow("both hold") << both << QVector<int>{1, 0, 0, 0} << true;
    QTest::newRow("first fails") << both << QVector<int>{0, 0, 0, 0} << false;
    QTest::newRow("second fails") << both << QVector<int>{1, 0, 0, 1} << false;
    QTest::newRow("no constraints") << QStringList{} << QVector<int>{5, 3, 2, 1} << true;
    QTest::newRow("constant false") << QStringList{QStringLiteral("1 > 2")} << QVector<int>{0, 0, 0, 0} << false;
    // inf > 1 and NaN != 0 hold in IEEE arithmetic; an undefined value satisfies nothing.
    QTest::newRow("division by zero") << QStringList{QStringLiteral("a / (b - 1) > 1")} << QVector<int>{0, 0, 0, 0} << false;
    QTest::newRow("zero over zero") << QStringList{QStringLiteral("(a - 1) / (a - 1) != 1")} << QVector<int>{0, 0, 0, 0} << false;
    QTest::newRow("defined division") << QStringList{QStringLiteral("a / (b - 1) > 1")} << QVector<int>{3, 1, 0, 0} << true;
}

void TestConstraintSet::accepts()
{
    QFETCH(QStringList, expressions);
    QFETCH(QVector<int>, indices);
    QFETCH(bool, expected);

    const auto set = ConstraintSet::compile(parameters(), expressions);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    QCOMPARE(set->accepts(std::vector<int>(indices.begin(), indices.end())), expected);
}

void TestConstraintSet::enumerateMatchesBruteForce_data()
{
    QTest::addColumn<QStringList>("expressions");
    QTest::addColumn<Predicate>("predicate");

    auto row = [](const char* name, QStringList expressions, std::function<bool(const Combination&)> f) {
        QTest::newRow(name) << expressions << Predicate{std::move(f)};
    };
    row("none", {}, [](const Combination&) { return true; });
    row("prune at the first level", {QStringLiteral("a > 3")}, [](const Combination& x) { return x.a > 3; });
    row("prune at the second level", {QStringLiteral("a * b <= 12")}, [](const Combination& x) { return x.a * x.b <= 12; });
    row("prune at every level",
        {QStringLiteral("a != 2"), QStringLiteral("b >= a"), QStringLiteral("c != \"x\""), QStringLiteral("d || c == \"z\"")},
        [](const Combination& x) {
            return x.a != 2 && x.b >= x.a && x.c != QLatin1String("x") && (x.d || x.c == QLatin1String("z"));
        });
    row("last level only", {QStringLiteral("(a + b) % 3 == 0 && d")},
        [](const Combination& x) { return (x.a + x.b) % 3 == 0 && x.d; });
    row("constant true", {QStringLiteral("true"), QStringLiteral("b < 8")}, [](const Combination& x) { return x.b < 8; });
    row("constant false", {QStringLiteral("a > 0"), QStringLiteral("false")}, [](const Combination&) { return false; });
    row("nothing passes", {QStringLiteral("a > 6")}, [](const Combination&) { return false; });
    row("python words", {QStringLiteral("not d and a < 3 or c == 'y'")},
        [](const Combination& x) { return (!x.d && x.a < 3) || x.c == QLatin1String("y"); });
    // Commas between a function's arguments are one expression (only a top-level comma is refused).
    row("function arguments", {QStringLiteral("min(a, b) >= 2 and max(a, b, 3) < 6")},
        [](const Combination& x) { return std::min(x.a, x.b) >= 2 && std::max({x.a, x.b, 3}) < 6; });
}

void TestConstraintSet::enumerateMatchesBruteForce()
{
    QFETCH(QStringList, expressions);
    QFETCH(Predicate, predicate);

    const auto set = ConstraintSet::compile(parameters(), expressions);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    QString error;
    const std::vector<quint64> enumerated = enumerateAll(set.value(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const std::vector<quint64> expected = bruteForce(predicate.accepts);
    QCOMPARE(enumerated.size(), expected.size());
    QVERIFY(enumerated == expected);

    // accepts() agrees with the enumeration on every combination of the product.
    std::vector<quint64> accepted;
    for (quint64 ordinal = 0; ordinal < 6 * 4 * 3 * 2; ++ordinal) {
        if (set->accepts(indicesOf(ordinal)))
            accepted.push_back(ordinal);
    }
    QVERIFY(accepted == expected);
}

void TestConstraintSet::enumerateStopsEarly_data()
{
    QTest::addColumn<QStringList>("expressions");
    QTest::addColumn<int>("stopAfter");

    QTest::newRow("first") << QStringList{} << 1;
    QTest::newRow("fifth") << QStringList{} << 5;
    QTest::newRow("fifth, constrained") << QStringList{QStringLiteral("a * b > 6"), QStringLiteral("d")} << 5;
    QTest::newRow("last") << QStringList{QStringLiteral("a == 6")} << 24;
}

void TestConstraintSet::enumerateStopsEarly()
{
    QFETCH(QStringList, expressions);
    QFETCH(int, stopAfter);

    const auto set = ConstraintSet::compile(parameters(), expressions);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    QString error;
    const std::vector<quint64> all = enumerateAll(set.value(), &error);
    QVERIFY(error.isEmpty());
    QVERIFY(all.size() >= size_t(stopAfter));

    std::vector<quint64> seen;
    const auto run = set->enumerate([&](quint64 ordinal) {
        seen.push_back(ordinal);
        return int(seen.size()) < stopAfter;
    });
    QVERIFY2(run.ok(), qPrintable(run.error()));
    QCOMPARE(seen.size(), size_t(stopAfter));
    QVERIFY(std::equal(seen.begin(), seen.end(), all.begin()));
}

void TestConstraintSet::undefinedValueIsAnError_data()
{
    QTest::addColumn<QStringList>("expressions");
    QTest::addColumn<int>("stopAfter"); // the visitor stops after this many; 0: never
    QTest::addColumn<QString>("message");
    QTest::newRow("by zero") << QStringList{QStringLiteral("a / 0 > 1")} << 0
                             << "constraint 1 'a / 0 > 1': divides by zero or has no defined value (0/0, sqrt or log of a negative) at a = 1";
    QTest::newRow("by a parameter") << QStringList{QStringLiteral("a > 0"), QStringLiteral("a / (b - 2) > 1")} << 0
                                    << "constraint 2 'a / (b - 2) > 1': divides by zero or has no defined value (0/0, sqrt or log of a negative) at a = 1, b = 2";
    QTest::newRow("remainder by zero") << QStringList{QStringLiteral("a % (b - 1) == 0")} << 0 << "constraint 1 'a % (b - 1) == 0'";
    QTest::newRow("sqrt of a negative") << QStringList{QStringLiteral("sqrt(2 - a) >= 0")} << 0 << "at a = 3";
    QTest::newRow("at the last level") << QStringList{QStringLiteral("a / (d - d) > 1")} << 0 << "at a = 1, b = 1, c = \"x\", d = false";
    QTest::newRow("stopped early") << QStringList{QStringLiteral("a / (b - 1) > 0")} << 1 << "at a = 1, b = 1";
}

void TestConstraintSet::undefinedValueIsAnError()
{
    QFETCH(QStringList, expressions);
    QFETCH(int, stopAfter);
    QFETCH(QString, message);
    const auto set = ConstraintSet::compile(parameters(), expressions);
    QVERIFY2(set.ok(), qPrintable(set.error()));
    int visited = 0;
    const auto run = set->enumerate([&](quint64) { return stopAfter == 0 || ++visited < stopAfter; });
    QVERIFY2(!run, "an undefined constraint value must not count as valid or invalid");
    QVERIFY2(run.error().contains(message), qPrintable(run.error()));
    // A defined division of the same shape enumerates as before.
    const auto fine = ConstraintSet::compile(parameters(), {QStringLiteral("a / b > 1")});
    QString error;
    QCOMPARE(enumerateAll(fine.value(), &error), bruteForce([](const Combination& x) { return double(x.a) / x.b > 1; }));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestConstraintSet::emptyParameterList()
{
    const auto set = ConstraintSet::compile({}, {});
    QVERIFY2(set.ok(), qPrintable(set.error()));
    int visits = 0;
    const auto run = set->enumerate([&](quint64) {
        ++visits;
        return true;
    });
    QVERIFY(run.ok());
    QCOMPARE(visits, 0);
    const auto unknown = ConstraintSet::compile({}, {QStringLiteral("a > 1")});
    QVERIFY(!unknown.ok());
    QVERIFY2(unknown.error().contains(QLatin1String("unknown parameter 'a'")), qPrintable(unknown.error()));
}

namespace {

// Six parameters of 100 values (10^12 combinations) and a constraint over the last that none meets.
QVector<Parameter> hugeParameters()
{
    QVector<Parameter> params;
    for (int p = 0; p < 6; ++p) {
        Parameter param{QStringLiteral("P%1").arg(p), ParameterType::Int, {}};
        for (int v = 0; v < 100; ++v)
            param.values.append(v);
        params.append(param);
    }
    return params;
}

} // namespace

void TestConstraintSet::lateConstraintOverAHugeProductStopsAtTheLimit()
{
    const auto set = ConstraintSet::compile(hugeParameters(), {QStringLiteral("P0 + P5 > 1000")});
    QVERIFY2(set.ok(), qPrintable(set.error()));
    int visits = 0;
    EnumerationLimits limits;
    limits.maxExamined = 100000;
    const auto run = set->enumerate([&](quint64) { return ++visits > 0; }, limits);
    QVERIFY(!run.ok());
    QCOMPARE(run.error(), QStringLiteral("enumerating the space examined more than 100000 combinations that are not valid "
                                         "configurations (the limit); constrain the first parameters, or narrow their values"));
    QCOMPARE(visits, 0);
}

void TestConstraintSet::validConfigurationsDoNotCountTowardsTheLimit()
{
    // 10 x 100 combinations, all valid: the walk passes 10 prefixes and 1000 valid configurations.
    QVector<Parameter> params = hugeParameters().mid(0, 2);
    params[0].values.resize(10);
    const auto set = ConstraintSet::compile(params, {});
    QVERIFY2(set.ok(), qPrintable(set.error()));
    for (const quint64 limit : {quint64(10), quint64(9)}) {
        int visits = 0;
        const auto run = set->enumerate([&](quint64) { return ++visits > 0; }, EnumerationLimits{limit, nullptr});
        QCOMPARE(run.ok(), limit == 10);
        QCOMPARE(visits, limit == 10 ? 1000 : 900);
    }
}

void TestConstraintSet::interruptStopsTheWalk()
{
    const auto set = ConstraintSet::compile(hugeParameters(), {QStringLiteral("P0 + P5 > 1000")});
    QVERIFY2(set.ok(), qPrintable(set.error()));
    std::atomic<bool> interrupt{true};
    const auto run = set->enumerate([](quint64) { return true; }, EnumerationLimits{EnumerationLimits::kMaxExamined, &interrupt});
    QVERIFY(!run.ok());
    QCOMPARE(run.error(), QStringLiteral("interrupted while enumerating the space"));
}

QTEST_GUILESS_MAIN(TestConstraintSet)
#include "tst_constraintset.moc"

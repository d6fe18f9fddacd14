#include "export/PythonText.h"

#include <QTest>

using namespace dv;

// Expected texts were produced by CPython 3.11 (repr, str, json.dumps) and are fixed here.
class TestPythonText : public QObject {
    Q_OBJECT
private slots:
    void floatRepr_data();
    void floatRepr();
    void strRepr_data();
    void strRepr();
    void tuples();
    void jsonString();
};

void TestPythonText::floatRepr_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("expected");
    const QPair<double, const char*> rows[] = {
        {0.7, "0.7"},
        {1e-05, "1e-05"},
        {0.0001, "0.0001"},
        {0.001, "0.001"},
        {12.286131143569946, "12.286131143569946"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {123.0, "123.0"},
        {100.0, "100.0"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.5e-07, "1.5e-07"},
        {2.5e20, "2.5e+20"},
        {-0.5, "-0.5"},
        {0.0, "0.0"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {0.003871999913826585, "0.003871999913826585"},
    };
    for (const auto& [v, text] : rows)
        QTest::newRow(text) << v << QString::fromLatin1(text);
}

void TestPythonText::floatRepr()
{
    QFETCH(double, value);
    QFETCH(QString, expected);
    QCOMPARE(python::floatRepr(value), expected);
}

void TestPythonText::strRepr_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << QStringLiteral("torch.float16") << QStringLiteral("'torch.float16'");
    QTest::newRow("single quote") << QStringLiteral("it's") << QStringLiteral("\"it's\"");
    QTest::newRow("both quotes") << QStringLiteral("a'b\"c") << QStringLiteral("'a\\'b\"c'");
    QTest::newRow("backslash") << QStringLiteral("back\\slash") << QStringLiteral("'back\\\\slash'");
    QTest::newRow("tab") << QStringLiteral("tab\t") << QStringLiteral("'tab\\t'");
}

void TestPythonText::strRepr()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(python::strRepr(text), expected);
}

void TestPythonText::tuples()
{
    QCOMPARE(python::tupleOfStr({QStringLiteral("1024")}), QStringLiteral("('1024',)"));
    QCOMPARE(python::tupleOfStr({QStringLiteral("a"), QStringLiteral("b'")}), QStringLiteral("('a', \"b'\")"));
    QCOMPARE(python::tupleOfStr({}), QStringLiteral("()"));
    QCOMPARE(python::floatList({0.5, 0.2, 0.8}), QStringLiteral("[0.5, 0.2, 0.8]"));
}

void TestPythonText::jsonString()
{
    const QString text = QString(QChar(0xe9)) + QStringLiteral("\"\\\n") + QChar(0x01) + QChar(0x7f);
    QCOMPARE(python::jsonString(text), QStringLiteral("\"\\u00e9\\\"\\\\\\n\\u0001\\u007f\""));
}

QTEST_GUILESS_MAIN(TestPythonText)
#include "tst_pythontext.moc"

#include "Format.h"

#include <QTest>

#include <limits>

using namespace dv;

class TestFormat : public QObject {
    Q_OBJECT
private slots:
    // Kernel times get the unit that fits and four significant digits: a µs-scale kernel no
    // longer prints as "0.005216 ms".
    void time_data()
    {
        QTest::addColumn<double>("ms");
        QTest::addColumn<QString>("text");
        QTest::newRow("µs-scale kernel") << 0.005216 << QStringLiteral("5.216 \u00b5s");
        QTest::newRow("hundreds of µs") << 0.19321 << QStringLiteral("193.2 \u00b5s");
        QTest::newRow("trailing zeros kept") << 0.005 << QStringLiteral("5.000 \u00b5s");
        QTest::newRow("ms") << 1.03912 << QStringLiteral("1.039 ms");
        QTest::newRow("tens of ms") << 12.3456 << QStringLiteral("12.35 ms");
        QTest::newRow("seconds") << 12345.0 << QStringLiteral("12.35 s");
        QTest::newRow("ns") << 0.00085 << QStringLiteral("850.0 ns");
        QTest::newRow("rounds up into the next unit") << 0.99996 << QStringLiteral("1.000 ms");
        QTest::newRow("rounds up a digit") << 9.99996 << QStringLiteral("10.00 ms");
        QTest::newRow("zero") << 0.0 << QStringLiteral("0.000 ms");
        QTest::newRow("not finite") << std::numeric_limits<double>::infinity() << QStringLiteral("-");
    }
    void time()
    {
        QFETCH(double, ms);
        QFETCH(QString, text);
        QCOMPARE(Format::time(ms), text);
    }

    // Durations: never "in 0.0 s" for a quick run.
    void duration_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("sub-ms") << 0.0004 << QStringLiteral("0.4 ms");
        QTest::newRow("ms") << 0.012 << QStringLiteral("12 ms");
        QTest::newRow("just below a second") << 0.9996 << QStringLiteral("1.0 s");
        QTest::newRow("seconds") << 3.42 << QStringLiteral("3.4 s");
        QTest::newRow("tens of seconds") << 42.4 << QStringLiteral("42 s");
        QTest::newRow("a minute, rounded") << 59.6 << QStringLiteral("1 min 00 s");
        QTest::newRow("minutes") << 125.0 << QStringLiteral("2 min 05 s");
        QTest::newRow("hours") << 3720.0 << QStringLiteral("1 h 02 min");
    }
    void duration()
    {
        QFETCH(double, seconds);
        QFETCH(QString, text);
        QCOMPARE(Format::duration(seconds), text);
    }

    void count_data()
    {
        QTest::addColumn<qint64>("n");
        QTest::addColumn<QString>("text");
        QTest::newRow("one") << qint64(1) << QStringLiteral("1 constraint");
        QTest::newRow("two") << qint64(2) << QStringLiteral("2 constraints");
        QTest::newRow("none") << qint64(0) << QStringLiteral("0 constraints");
    }
    void count()
    {
        QFETCH(qint64, n);
        QFETCH(QString, text);
        QCOMPARE(Format::count(n, QStringLiteral("constraint")), text);
    }

    void irregularPlural()
    {
        QCOMPARE(Format::count(2, QStringLiteral("key"), QStringLiteral("keys")), QStringLiteral("2 keys"));
        QCOMPARE(Format::count(3, QStringLiteral("match"), QStringLiteral("matches")), QStringLiteral("3 matches"));
        QCOMPARE(Format::count(1, QStringLiteral("match"), QStringLiteral("matches")), QStringLiteral("1 match"));
    }
};

QTEST_GUILESS_MAIN(TestFormat)
#include "tst_format.moc"

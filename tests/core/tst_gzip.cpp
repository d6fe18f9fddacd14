#include "Gzip.h"

#include <QRandomGenerator>
#include <QtTest>

using namespace dv;

namespace {

QByteArray randomBytes(int size, quint32 seed)
{
    QRandomGenerator rng(seed);
    QByteArray out(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        out[i] = char(rng.bounded(256));
    return out;
}

QByteArray allByteValues()
{
    QByteArray out;
    for (int i = 0; i < 256; ++i)
        out.append(char(i));
    return out;
}

const QString kSource = QStringLiteral("landscape.json.gz");

} // namespace

class TestGzip : public QObject {
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void readsGzipTool();
    void readsZlib();
    void isGzip_data();
    void isGzip();
    void corrupt_data();
    void corrupt();
    void truncated_data();
    void truncated();
};

void TestGzip::roundTrip_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("compressible");

    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("one byte") << QByteArray("x") << false;
    QTest::newRow("text") << QByteArray("{\"cache\": {\"16,1\": {\"time\": 0.25}}}\n") << false;
    QTest::newRow("all byte values") << allByteValues() << false;
    QTest::newRow("embedded zeros") << QByteArray(1000, '\0') << true;
    // Larger than the 64 KiB inflate buffer, compressible and not.
    QTest::newRow("repetitive 1 MiB") << QByteArray("block_size_x,tile_size_y,").repeated(40000) << true;
    QTest::newRow("random 300 KiB") << randomBytes(300 * 1024, 42) << false;
}

void TestGzip::roundTrip()
{
    QFETCH(QByteArray, data);
    QFETCH(bool, compressible);

    const QByteArray packed = gzip(data);
    QVERIFY(dv::isGzip(packed));
    QCOMPARE(packed.at(2), char(8)); // deflate
    if (compressible)
        QVERIFY(packed.size() < data.size() / 10);
    const auto unpacked = gunzip(packed, kSource);
    QVERIFY2(unpacked.ok(), qPrintable(unpacked.error()));
    QCOMPARE(unpacked.value().size(), data.size());
    QCOMPARE(unpacked.value(), data);
}

void TestGzip::readsGzipTool()
{
    // `printf 'Deja Vu\n' | gzip -n -9`
    const QByteArray fromTool = QByteArray::fromHex("1f8b08000000000002037349cd4a54082be502006c9bd86608000000");
    QVERIFY(dv::isGzip(fromTool));
    const auto text = gunzip(fromTool, kSource);
    QVERIFY2(text.ok(), qPrintable(text.error()));
    QCOMPARE(text.value(), QByteArray("Deja Vu\n"));
}

void TestGzip::readsZlib()
{
    // Python's zlib.compress(b'Deja Vu\n'): the zlib wrapper rather than gzip's.
    const QByteArray zlibData = QByteArray::fromHex("789c7349cd4a54082be502000bc2026a");
    QVERIFY(!dv::isGzip(zlibData));
    const auto text = gunzip(zlibData, kSource);
    QVERIFY2(text.ok(), qPrintable(text.error()));
    QCOMPARE(text.value(), QByteArray("Deja Vu\n"));
}

void TestGzip::isGzip_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("expected");

    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("first magic byte only") << QByteArray("\x1f") << false;
    QTest::newRow("magic") << QByteArray("\x1f\x8b") << true;
    QTest::newRow("swapped magic") << QByteArray("\x8b\x1f") << false;
    QTest::newRow("json") << QByteArray("{\"cache\": {}}") << false;
    QTest::newRow("compressed") << dv::gzip("abc") << true;
}

void TestGzip::isGzip()
{
    QFETCH(QByteArray, data);
    QFETCH(bool, expected);
    QCOMPARE(dv::isGzip(data), expected);
}

void TestGzip::corrupt_data()
{
    QTest::addColumn<QByteArray>("data");

    const QByteArray good = gzip(QByteArray("tune_params_keys ").repeated(2000) + randomBytes(5000, 7));
    QTest::newRow("plain text") << QByteArray("this is not compressed at all");
    QTest::newRow("json") << QByteArray("{\"cache\": {}}");
    QByteArray header = good;
    header[2] = char(7); // compression method other than deflate
    QTest::newRow("bad method") << header;
    QByteArray body = good;
    for (int i = 40; i < 60; ++i)
        body[i] = char(~body[i]);
    QTest::newRow("flipped body bytes") << body;
    QByteArray crc = good;
    crc[crc.size() - 6] = char(crc[crc.size() - 6] ^ 0x55); // the CRC-32 in the trailer
    QTest::newRow("wrong checksum") << crc;
    QByteArray length = good;
    length[length.size() - 2] = char(length[length.size() - 2] ^ 0x01); // the size in the trailer
    QTest::newRow("wrong length") << length;
    QTest::newRow("random after magic") << QByteArray("\x1f\x8b") + randomBytes(500, 3);
}

void TestGzip::corrupt()
{
    QFETCH(QByteArray, data);

    const auto result = gunzip(data, kSource);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().startsWith(kSource + QStringLiteral(": corrupt gzip data: ")), qPrintable(result.error()));
    QVERIFY(result.error().size() > kSource.size() + 20);
}

void TestGzip::truncated_data()
{
    QTest::addColumn<int>("keep");

    QTest::newRow("nothing") << 0;
    QTest::newRow("magic only") << 2;
    QTest::newRow("header only") << 10;
    QTest::newRow("inside the deflate stream") << 200;
    QTest::newRow("half") << -2;
    QTest::newRow("trailer missing") << -8;
    QTest::newRow("last byte missing") << -1;
}

void TestGzip::truncated()
{
    QFETCH(int, keep);

    const QByteArray whole = gzip(randomBytes(100000, 11) + QByteArray("cache").repeated(20000));
    QVERIFY(whole.size() > 1000);
    const int size = keep >= 0 ? keep : keep == -2 ? int(whole.size() / 2) : int(whole.size()) + keep;
    const auto result = gunzip(whole.left(size), kSource);
    QVERIFY2(!result.ok(), "truncated data must not inflate successfully");
    QVERIFY2(result.error().startsWith(kSource + QStringLiteral(": corrupt gzip data")), qPrintable(result.error()));
}

QTEST_GUILESS_MAIN(TestGzip)
#include "tst_gzip.moc"

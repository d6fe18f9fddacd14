#include "Gzip.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QtTest>

#include <zlib.h>

#include <cstring>

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

// A gzip stream of `total` zero bytes, deflated 1 MiB at a time: about 1/1000 of `total` on
// disk and in memory, however large `total` is.
QByteArray zeroBomb(qint64 total)
{
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 9, Z_RLE); // runs of zeros: fast and ~1000:1
    const QByteArray zeros(1 << 20, '\0');
    QByteArray out;
    char buffer[1 << 16];
    qint64 done = 0;
    do {
        const qint64 n = std::min<qint64>(zeros.size(), total - done);
        done += n;
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.constData()));
        zs.avail_in = uInt(n);
        const int flush = done == total ? Z_FINISH : Z_NO_FLUSH;
        do {
            zs.next_out = reinterpret_cast<Bytef*>(buffer);
            zs.avail_out = sizeof buffer;
            deflate(&zs, flush);
            out.append(buffer, qsizetype(sizeof buffer - zs.avail_out));
        } while (zs.avail_out == 0);
    } while (done < total);
    deflateEnd(&zs);
    return out;
}

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
    void bombStopsAtTheLimit();
    void limit_data();
    void limit();
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

void TestGzip::bombStopsAtTheLimit()
{
    // 300 MiB of zeros in a few hundred KiB: more than the default limit. Inflating stops at the
    // limit with an error that names the file and the limit, instead of growing without bound.
    const qint64 total = 300ll << 20;
    const QByteArray bomb = zeroBomb(total);
    QVERIFY2(bomb.size() < total / 500, qPrintable(QString::number(bomb.size())));
    QElapsedTimer clock;
    clock.start();
    const auto result = gunzip(bomb, kSource);
    QVERIFY2(!result.ok(), "a stream inflating past the limit must be refused");
    QCOMPARE(result.error(), kSource + QStringLiteral(": inflates to more than 256 MiB, the limit for compressed input (a gzip bomb or not a dataset)"));
    qInfo("refused a %lld-byte gzip of %lld bytes in %lld ms", qint64(bomb.size()), total, clock.elapsed());
}

void TestGzip::limit_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("exactly the limit") << qint64(100000) << qint64(100000) << true;
    QTest::newRow("one byte over") << qint64(100001) << qint64(100000) << false;
    QTest::newRow("far over, small limit") << qint64(1 << 20) << qint64(1000) << false;
    QTest::newRow("empty") << qint64(0) << qint64(0) << true;
}

void TestGzip::limit()
{
    QFETCH(qint64, size);
    QFETCH(qint64, limit);
    QFETCH(bool, accepted);
    const auto result = gunzip(zeroBomb(size), kSource, limit);
    QCOMPARE(result.ok(), accepted);
    if (accepted)
        QCOMPARE(result.value().size(), size);
    else
        QVERIFY2(result.error().startsWith(kSource + QStringLiteral(": inflates to more than")), qPrintable(result.error()));
}

QTEST_GUILESS_MAIN(TestGzip)
#include "tst_gzip.moc"

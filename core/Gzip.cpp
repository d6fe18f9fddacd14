#include "Gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace dv {

bool isGzip(const QByteArray& bytes)
{
    return bytes.size() >= 2 && uchar(bytes[0]) == 0x1f && uchar(bytes[1]) == 0x8b;
}

Result<QByteArray> gunzip(const QByteArray& bytes, const QString& source, qint64 maxBytes)
{
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) // +32: detect gzip or zlib header
        return Error{QStringLiteral("%1: cannot initialise zlib").arg(source)};
    QByteArray out;
    out.reserve(qsizetype(std::min<qint64>(qint64(bytes.size()) * 8, maxBytes)));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.constData()));
    zs.avail_in = uInt(bytes.size());
    char buffer[1 << 16];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buffer);
        zs.avail_out = sizeof buffer;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            const QString why = zs.msg ? QString::fromUtf8(zs.msg) : QStringLiteral("truncated data");
            inflateEnd(&zs);
            return Error{QStringLiteral("%1: corrupt gzip data: %2").arg(source, why)};
        }
        const qsizetype produced = qsizetype(sizeof buffer - zs.avail_out);
        // Checked chunk by chunk, before the bytes are kept: a bomb never grows past the cap.
        if (qint64(out.size()) + produced > maxBytes) {
            inflateEnd(&zs);
            return Error{QStringLiteral("%1: inflates to more than %2 MiB, the limit for compressed input (a gzip bomb or not a dataset)")
                             .arg(source).arg(maxBytes / double(1 << 20), 0, 'g', 4)};
        }
        // Grown by doubling, but never reserved past the cap.
        if (out.size() + produced > out.capacity())
            out.reserve(qsizetype(std::min<qint64>(std::max<qint64>(2 * qint64(out.capacity()), qint64(out.size()) + produced), maxBytes)));
        out.append(buffer, produced);
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return Error{QStringLiteral("%1: corrupt gzip data: truncated stream").arg(source)};
        }
    }
    inflateEnd(&zs);
    return out;
}

QByteArray gzip(const QByteArray& bytes)
{
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    QByteArray out;
    out.resize(qsizetype(deflateBound(&zs, uLong(bytes.size()))) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.constData()));
    zs.avail_in = uInt(bytes.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(qsizetype(zs.total_out));
    deflateEnd(&zs);
    return out;
}

} // namespace dv

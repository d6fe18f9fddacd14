#include "Gzip.h"

#include <zlib.h>

#include <cstring>

namespace dv {

bool isGzip(const QByteArray& bytes)
{
    return bytes.size() >= 2 && uchar(bytes[0]) == 0x1f && uchar(bytes[1]) == 0x8b;
}

Result<QByteArray> gunzip(const QByteArray& bytes, const QString& source)
{
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) // +32: detect gzip or zlib header
        return Error{QStringLiteral("%1: cannot initialise zlib").arg(source)};
    QByteArray out;
    out.reserve(bytes.size() * 8);
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
        out.append(buffer, qsizetype(sizeof buffer - zs.avail_out));
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

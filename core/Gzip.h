#pragma once

#include "Result.h"

#include <QByteArray>

namespace dv {

/// The most bytes gunzip() inflates by default: 256 MiB. The largest shipped dataset inflates to
/// 6.4 MB (kerneltuner/convolution_W7800), so a recorded landscape 40 times that size still
/// reads, while a small "gzip bomb" stops after at most this much memory and a fraction of a second.
constexpr qint64 kMaxInflatedBytes = 256ll << 20;

/// True when the bytes start with the gzip magic number.
bool isGzip(const QByteArray& bytes);
/// Inflates gzip (or zlib) data; the error names `source`. Inflation streams and stops with an
/// error as soon as the output would exceed `maxBytes`, so memory stays bounded by it.
Result<QByteArray> gunzip(const QByteArray& bytes, const QString& source, qint64 maxBytes = kMaxInflatedBytes);
/// Compresses into the gzip format (readable by gzip(1) and Python's gzip module).
QByteArray gzip(const QByteArray& bytes);

} // namespace dv

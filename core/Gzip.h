#pragma once

#include "Result.h"

#include <QByteArray>

namespace dv {

/// True when the bytes start with the gzip magic number.
bool isGzip(const QByteArray& bytes);
/// Inflates gzip (or zlib) data; the error names `source`.
Result<QByteArray> gunzip(const QByteArray& bytes, const QString& source);
/// Compresses into the gzip format (readable by gzip(1) and Python's gzip module).
QByteArray gzip(const QByteArray& bytes);

} // namespace dv

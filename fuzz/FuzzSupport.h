#pragma once

// Helpers shared by the fuzz targets. Each target is one LLVMFuzzerTestOneInput that feeds bytes
// to a real core parser; built with clang and libFuzzer (preset "fuzz") it runs under ASan and
// UBSan, built with the normal compiler it is linked with ReplayMain.cpp and replays the seed
// corpus and every finding under ctest.

#include <QByteArray>
#include <QList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace dv::fuzz {

inline QByteArray bytes(const uint8_t* data, size_t size)
{
    return QByteArray(reinterpret_cast<const char*>(data), qsizetype(size));
}

/// Splits at the first `separator`: (before, after); after is empty when it is absent.
inline std::pair<QByteArray, QByteArray> splitOnce(const QByteArray& input, const QByteArray& separator)
{
    const qsizetype at = input.indexOf(separator);
    if (at < 0)
        return {input, QByteArray()};
    return {input.left(at), input.mid(at + separator.size())};
}

/// A broken invariant (a parser that accepts what it wrote differently, a round trip that does not
/// hold) is a finding like a crash: abort so that libFuzzer keeps the input.
[[noreturn]] inline void invariant(const char* what, const QString& detail = {})
{
    std::fprintf(stderr, "fuzz invariant broken: %s %s\n", what, detail.toLocal8Bit().constData());
    std::abort();
}

} // namespace dv::fuzz

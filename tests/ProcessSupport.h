#pragma once

// What tests of worker processes ask of /proc and of the test worker's --fork-child file.

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QString>

#include <utility>

namespace dv::test {

/// Alive and not a zombie (a killed orphan may wait a while for init to reap it).
inline bool alive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    const char state = close > 0 && close + 2 < text.size() ? text[close + 2] : 'X';
    return state != 'Z' && state != 'X';
}

/// "CHILD WORKER" as the test worker's --fork-child writes it; {0, 0} until it is there.
inline std::pair<qint64, qint64> forkedPids(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {0, 0};
    const QList<QByteArray> parts = f.readAll().trimmed().split(' ');
    if (parts.size() != 2)
        return {0, 0};
    return {parts[0].toLongLong(), parts[1].toLongLong()};
}

} // namespace dv::test

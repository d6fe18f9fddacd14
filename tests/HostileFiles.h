#pragma once

// Hostile targets for the tests of writers (docs/hostile-inputs.md, "Writing files"): FIFOs,
// device nodes, sockets and links, always made inside a test's own QTemporaryDir, never in /dev.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QString>
#include <QStringList>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

namespace dv::test {

inline QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

inline bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

inline struct stat lstatOf(const QString& path)
{
    struct stat st {};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        st.st_mode = 0;
    return st;
}

/// Everything below `root` (hidden files too), relative, sorted.
inline QStringList entriesBelow(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

/// Makes a hostile node at `path`: "fifo", "char device" (what /dev/null is), "socket",
/// "directory", "link to a file" (the target is `path`.target), "dangling link"; false (with the reason) when this machine cannot.
inline bool makeNode(const QString& kind, const QString& path, QString& why)
{
    const QByteArray p = QFile::encodeName(path);
    int rc = 0;
    if (kind == QLatin1String("fifo")) {
        rc = ::mkfifo(p.constData(), 0644);
    } else if (kind == QLatin1String("char device")) {
        rc = ::mknod(p.constData(), S_IFCHR | 0666, makedev(1, 3)); // what /dev/null is
    } else if (kind == QLatin1String("socket")) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (size_t(p.size()) >= sizeof(addr.sun_path)) {
            why = QStringLiteral("path too long for a socket");
            ::close(fd);
            return false;
        }
        std::memcpy(addr.sun_path, p.constData(), size_t(p.size()));
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
        ::close(fd);
    } else if (kind == QLatin1String("directory")) {
        rc = QDir().mkdir(path) ? 0 : -1;
    } else if (kind == QLatin1String("link to a file")) {
        const QString target = path + QStringLiteral(".target");
        rc = writeFile(target, "the link's target\n") && QFile::link(target, path) ? 0 : -1;
    } else if (kind == QLatin1String("dangling link")) {
        rc = QFile::link(path + QStringLiteral(".nowhere"), path) ? 0 : -1;
    }
    if (rc != 0)
        why = QStringLiteral("cannot make a %1 here: %2").arg(kind, QString::fromLocal8Bit(std::strerror(errno)));
    return rc == 0;
}

} // namespace dv::test

#include "SafeFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// QSaveFile is not used here: it resolves symbolic links, and its commit renames over whatever
// the target has become (a FIFO, a device node), which is how `export --out /dev/null` replaced
// the device with a regular file. The few system calls below do what the rule needs.

namespace dv {

namespace {

const QString kRefusing = QStringLiteral("refusing");

QByteArray nativePath(const QString& path) { return QFile::encodeName(path); }

QString systemError(int error) { return QString::fromLocal8Bit(std::strerror(error)); }

/// What lies at `path` when it is no regular file, for the refusal; empty for a regular file.
QString notRegular(const struct stat& st)
{
    if (S_ISREG(st.st_mode))
        return {};
    if (S_ISLNK(st.st_mode))
        return QStringLiteral("is a symbolic link; refusing to write through it");
    if (S_ISDIR(st.st_mode))
        return QStringLiteral("is a directory, not a regular file; refusing to write there");
    if (S_ISFIFO(st.st_mode))
        return QStringLiteral("is a FIFO (named pipe), not a regular file; refusing to write there");
    if (S_ISCHR(st.st_mode))
        return QStringLiteral("is a character device, not a regular file; refusing to write there");
    if (S_ISBLK(st.st_mode))
        return QStringLiteral("is a block device, not a regular file; refusing to write there");
    if (S_ISSOCK(st.st_mode))
        return QStringLiteral("is a socket, not a regular file; refusing to write there");
    return QStringLiteral("is not a regular file; refusing to write there");
}

/// The checks on the target itself; `folderChecked`: the caller has looked at the folder.
Result<SafeFile::Plan> checkTarget(const QString& path, const QByteArray& bytes, bool force, bool folderChecked)
{
    if (path.isEmpty())
        return Error{QStringLiteral("no output path given")};
    struct stat st {};
    if (::lstat(nativePath(path).constData(), &st) != 0) {
        const int error = errno;
        if (error != ENOENT)
            return Error{QStringLiteral("%1: cannot write: %2").arg(path, systemError(error))};
        if (!folderChecked) {
            const QString folder = QFileInfo(path).absolutePath();
            const QFileInfo info(folder);
            if (!info.exists())
                return Error{QStringLiteral("%1: cannot write: the directory %2 does not exist; refusing to create it").arg(path, folder)};
            if (!info.isDir())
                return Error{QStringLiteral("%1: cannot write: %2 is not a directory; refusing to write there").arg(path, folder)};
        }
        return SafeFile::Plan::Create;
    }
    if (const QString what = notRegular(st); !what.isEmpty())
        return Error{QStringLiteral("%1: %2").arg(path, what)};
    // A regular file (lstat says so, and a FIFO would block here): compare its content.
    QFile existing(path);
    if (!existing.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot read the existing file: %2").arg(path, existing.errorString())};
    if (existing.size() == bytes.size() && existing.readAll() == bytes)
        return SafeFile::Plan::Keep;
    if (!force)
        return Error{QStringLiteral("%1: exists with different content; pass --force to replace it").arg(path)};
    return SafeFile::Plan::Replace;
}

bool writeAll(int fd, const QByteArray& bytes)
{
    const char* data = bytes.constData();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, size_t(left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        left -= n;
    }
    return true;
}

/// A hidden temporary file next to `path`, opened for writing: created with mode 0666 less the
/// umask (what a plain new file gets), or `mode` when replacing a file (it keeps its mode).
int createTemporary(const QString& path, int mode, QByteArray& name)
{
    const QFileInfo info(path);
    const QString prefix = info.absolutePath() + QStringLiteral("/.") + info.fileName() + QStringLiteral(".tmp-");
    for (int attempt = 0; attempt < 100; ++attempt) {
        name = nativePath(prefix + QString::number(QRandomGenerator::global()->generate(), 36));
        const int fd = ::open(name.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            if (mode >= 0)
                ::fchmod(fd, mode_t(mode));
            return fd;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/// Renames `from` to `to` unless `to` exists (no rename over something that appeared since the check).
int renameNoReplace(const QByteArray& from, const QByteArray& to)
{
    if (::renameat2(AT_FDCWD, from.constData(), AT_FDCWD, to.constData(), RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    // A file system without RENAME_NOREPLACE: link() refuses an existing name as well.
    if (::link(from.constData(), to.constData()) != 0)
        return -1;
    ::unlink(from.constData());
    return 0;
}

} // namespace

Result<SafeFile::Plan> SafeFile::check(const QString& path, const QByteArray& bytes, bool force)
{
    return checkTarget(path, bytes, force, false);
}

Result<SafeFile::Plan> SafeFile::checkBelow(const QString& root, const QString& relative, const QByteArray& bytes, bool force)
{
    if (root.isEmpty())
        return Error{QStringLiteral("no output directory given")};
    const QFileInfo rootInfo(root);
    if (rootInfo.exists() && !rootInfo.isDir())
        return Error{QStringLiteral("%1: exists and is not a directory; refusing to write into it").arg(root)};
    if (!rootInfo.exists())
        return Plan::Create; // everything below is new
    QString walk = QDir(root).absolutePath();
    const QStringList parts = relative.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (int i = 0; i + 1 < parts.size(); ++i) {
        walk += QLatin1Char('/') + parts[i];
        struct stat st {};
        if (::lstat(nativePath(walk).constData(), &st) != 0) {
            if (errno == ENOENT)
                return Plan::Create; // the rest of the way is new
            return Error{QStringLiteral("%1: cannot look at it: %2").arg(walk, systemError(errno))};
        }
        if (S_ISLNK(st.st_mode))
            return Error{QStringLiteral("%1: is a symbolic link; refusing to write through it").arg(walk)};
        if (!S_ISDIR(st.st_mode))
            return Error{QStringLiteral("%1: exists and is not a directory; refusing to write into it").arg(walk)};
    }
    return checkTarget(QDir(root).filePath(relative), bytes, force, true);
}

Result<SafeFile::Plan> SafeFile::write(const QString& path, const QByteArray& bytes, bool force)
{
    auto plan = check(path, bytes, force);
    if (!plan || plan.value() == Plan::Keep)
        return plan;
    const QByteArray target = nativePath(path);
    int mode = -1;
    if (plan.value() == Plan::Replace) {
        struct stat st {};
        if (::lstat(target.constData(), &st) == 0)
            mode = int(st.st_mode & 07777);
    }
    QByteArray temporary;
    const int fd = createTemporary(path, mode, temporary);
    if (fd < 0)
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, systemError(errno))};
    auto fail = [&](int error) -> Result<Plan> {
        ::unlink(temporary.constData());
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, systemError(error))};
    };
    if (!writeAll(fd, bytes) || ::fsync(fd) != 0) {
        const int error = errno;
        ::close(fd);
        return fail(error);
    }
    if (::close(fd) != 0)
        return fail(errno);
    if (plan.value() == Plan::Create) {
        if (renameNoReplace(temporary, target) != 0) {
            const int error = errno;
            ::unlink(temporary.constData());
            if (error == EEXIST)
                return Error{QStringLiteral("%1: appeared while it was being written; refusing to replace it").arg(path)};
            return Error{QStringLiteral("%1: cannot write: %2").arg(path, systemError(error))};
        }
    } else {
        // Still the regular file that was checked? (Anything else is refused, even now.)
        struct stat st {};
        if (::lstat(target.constData(), &st) != 0 || !S_ISREG(st.st_mode)) {
            ::unlink(temporary.constData());
            return Error{QStringLiteral("%1: changed while it was being written; refusing to replace it").arg(path)};
        }
        if (::rename(temporary.constData(), target.constData()) != 0)
            return fail(errno);
    }
    // The rename reaches the disk with the folder's entry.
    const int dir = ::open(nativePath(QFileInfo(path).absolutePath()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return plan;
}

bool SafeFile::isRefusal(const QString& message)
{
    return message.contains(kRefusing) || message.contains(QLatin1String("pass --force"));
}

Result<void> SafeFile::writeStdout(const QByteArray& bytes)
{
    if (std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout) != size_t(bytes.size()) || std::fflush(stdout) != 0)
        return Error{QStringLiteral("standard output: cannot write: %1").arg(systemError(errno))};
    return {};
}

} // namespace dv

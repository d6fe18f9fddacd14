#pragma once

#include "Result.h"

#include <QByteArray>
#include <QString>

namespace dv {

/// Writes the files a user names (exports, bundles, saved spaces) by one rule
/// (docs/hostile-inputs.md, "Writing files"):
/// - regular files only: a device, FIFO, socket, directory or symbolic link where the file is to go
///   is refused, with or without `force`;
/// - never over an existing file with other content unless `force`; an identical one is
///   accepted and left untouched;
/// - atomically: the bytes go to a temporary file in the same directory, reach the disk, and are
///   renamed into place; a new file never replaces something that appeared meanwhile.
/// Every refusal names the path and comes before anything is written; isRefusal() tells a
/// refusal (bad input: nothing written, the CLI exits 2) from a failure while writing (exit 1).
class SafeFile {
public:
    /// What writing does to the target.
    enum class Plan {
        Create,  ///< no file there yet
        Keep,    ///< an identical file is there; nothing to write
        Replace, ///< a regular file with other content is there, and `force` was given
    };

    /// Checks that `bytes` may be written to `path` and says what writing would do; nothing is
    /// touched. The directory of `path` must exist (a typo must not create a directory tree).
    static Result<Plan> check(const QString& path, const QByteArray& bytes, bool force);
    /// check(), then writes atomically. Returns what was done.
    static Result<Plan> write(const QString& path, const QByteArray& bytes, bool force);

    /// Checks the file `relative` ('/'-separated) below the directory `root` the way check() does,
    /// for writers of trees: `root`, where it exists, must be a directory (it may be a link to
    /// one: the user named it); below it every existing component on the way must be a directory
    /// and no symbolic link. Folders that do not exist yet are fine: the caller creates them.
    static Result<Plan> checkBelow(const QString& root, const QString& relative, const QByteArray& bytes, bool force);

    /// True for a message of a refusal (check(), or an exporter's "pass --force"): nothing was
    /// written and the input is to blame. False for a failure while writing.
    static bool isRefusal(const QString& message);

    /// The name that means standard output, for the formats that stream (csv and the other
    /// single-file trial formats).
    static bool isStdout(const QString& path) { return path == QLatin1String("-"); }
    /// Writes `bytes` to standard output.
    static Result<void> writeStdout(const QByteArray& bytes);
};

} // namespace dv

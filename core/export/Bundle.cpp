#include "export/Bundle.h"

#include "base/JsonUtil.h"
#include "base/SafeFile.h"
#include "export/TuningLadder.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <archive.h>
#include <archive_entry.h>

#include <cmath>
#include <memory>

namespace dv {

namespace {

const QString kManifest = QStringLiteral("manifest.json");

QString sha256(const QByteArray& data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

QString isoTime(const QDateTime& t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

/// Why a member path may not be extracted, or empty. Only plain relative paths below
/// sessions/ or exports/: no absolute paths, no "..", no empty or "." components, no
/// backslashes or drive letters (Windows tools read those as separators and roots).
QString pathProblem(const QString& path)
{
    if (path.isEmpty())
        return QStringLiteral("empty path");
    if (path.startsWith(QLatin1Char('/')))
        return QStringLiteral("absolute path");
    if (path.contains(QLatin1Char('\\')) || (path.size() > 1 && path[1] == QLatin1Char(':')))
        return QStringLiteral("backslash or drive letter in the path");
    for (const QChar c : path)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return QStringLiteral("control character in the path");
    for (const QString& part : path.split(QLatin1Char('/'))) {
        if (part == QLatin1String(".."))
            return QStringLiteral("'..' in the path escapes the target directory");
        if (part.isEmpty() || part == QLatin1String("."))
            return QStringLiteral("empty or '.' path component");
    }
    if (path != kManifest && !path.startsWith(QLatin1String("sessions/")) && !path.startsWith(QLatin1String("exports/")))
        return QStringLiteral("outside manifest.json, sessions/ and exports/");
    return {};
}

QString contentChecksum(const QMap<QString, QByteArray>& members)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (auto it = members.begin(); it != members.end(); ++it) {
        h.addData(QByteArray(it.key().toUtf8() + '\n'));
        h.addData(QByteArray(sha256(it.value()).toLatin1() + '\n'));
    }
    return QString::fromLatin1(h.result().toHex());
}

la_ssize_t appendTo(struct archive*, void* client, const void* buffer, size_t length)
{
    static_cast<QByteArray*>(client)->append(static_cast<const char*>(buffer), qsizetype(length));
    return la_ssize_t(length);
}

struct ArchiveReadDeleter {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteDeleter {
    void operator()(struct archive* a) const { archive_write_free(a); }
};

} // namespace

void Bundle::seal()
{
    manifest.members.clear();
    for (auto it = members.begin(); it != members.end(); ++it)
        manifest.members.append(BundleMemberInfo{it.key(), it.value().size(), sha256(it.value())});
    manifest.contentSha256 = contentChecksum(members);
}

Result<Bundle> Bundle::fromSessions(ResultStore& store, const QVector<qint64>& ids, int keyPosition, const QString& kernel,
                                    const QMap<QString, QString>& exportDirs)
{
    Bundle b;
    b.manifest.keyPosition = keyPosition;
    b.manifest.createdAt = isoTime(QDateTime::currentDateTimeUtc());
    QStringList kernels;
    QSet<QPair<QString, qint64>> seen;
    for (qint64 id : ids) {
        auto record = store.session(id);
        if (!record)
            return Error{record.error()};
        auto trials = store.trials(id);
        if (!trials)
            return Error{trials.error()};
        auto derived = entryOf(record.value(), trials.value(), keyPosition);
        if (!derived)
            return Error{QStringLiteral("session %1: %2").arg(id).arg(derived.error())};
        BundleEntry e = derived.value();
        if (seen.contains({e.gpu, e.key}))
            return Error{QStringLiteral("session %1: a second session for key %2 on %3; bundle one session per key and GPU")
                             .arg(id).arg(e.key).arg(e.gpu)};
        seen.insert({e.gpu, e.key});
        if (!kernels.contains(record->kernel))
            kernels.append(record->kernel);
        e.sessionMember = QStringLiteral("sessions/%1.json").arg(b.manifest.entries.size() + 1);
        b.members.insert(e.sessionMember, sessionJson(record.value(), trials.value()));
        b.manifest.entries.append(e);
    }
    if (b.manifest.entries.isEmpty())
        return Error{QStringLiteral("no sessions to bundle")};
    if (!kernel.isEmpty())
        b.manifest.kernel = kernel;
    else if (kernels.size() == 1)
        b.manifest.kernel = kernels.first();
    else
        return Error{QStringLiteral("the sessions tune different kernels (%1); name the campaign's kernel").arg(kernels.join(QStringLiteral(", ")))};
    for (auto it = exportDirs.begin(); it != exportDirs.end(); ++it) {
        if (!pathProblem(QStringLiteral("exports/") + it.key()).isEmpty() || it.key().contains(QLatin1Char('/')))
            return Error{QStringLiteral("export name '%1': expected a plain name").arg(it.key())};
        // Absolute, so that relativeFilePath() below strips it: for a relative "./triton-cache"
        // QDir returns the walked path unchanged and the files would be stored one level too deep.
        const QString rootPath = QFileInfo(it.value()).absoluteFilePath();
        const QDir root(rootPath);
        if (!QFileInfo(rootPath).isDir())
            return Error{QStringLiteral("%1: no such directory").arg(it.value())};
        QDirIterator walk(rootPath, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (walk.hasNext()) {
            const QString path = walk.next();
            const QFileInfo info = walk.fileInfo();
            if (info.isSymLink())
                return Error{QStringLiteral("%1: a symbolic link; bundles hold plain files only").arg(path)};
            if (info.isDir())
                continue;
            if (!info.isFile())
                return Error{QStringLiteral("%1: not a regular file").arg(path)};
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly))
                return Error{QStringLiteral("%1: cannot read: %2").arg(path, f.errorString())};
            const QString member = QStringLiteral("exports/%1/%2").arg(it.key(), root.relativeFilePath(path));
            if (const QString why = pathProblem(member); !why.isEmpty())
                return Error{QStringLiteral("%1: %2").arg(path, why)};
            b.members.insert(member, f.readAll());
        }
    }
    b.seal();
    return b;
}

Result<QByteArray> Bundle::toArchive() const
{
    QByteArray bytes;
    std::unique_ptr<struct archive, ArchiveWriteDeleter> a(archive_write_new());
    // No padding of the compressed stream to 10240-byte blocks: a cut anywhere must cut data.
    if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK || archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK
        || archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK || archive_write_open(a.get(), &bytes, nullptr, appendTo, nullptr) != ARCHIVE_OK)
        return Error{QStringLiteral("cannot start the archive: %1").arg(QString::fromUtf8(archive_error_string(a.get())))};
    const qint64 mtime = QDateTime::fromString(manifest.createdAt, Qt::ISODateWithMs).toSecsSinceEpoch();
    QVector<QPair<QString, QByteArray>> all{{kManifest, manifest.toJson()}};
    for (auto it = members.begin(); it != members.end(); ++it)
        all.append({it.key(), it.value()});
    for (const auto& [path, data] : all) {
        std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> e(archive_entry_new(), archive_entry_free);
        const QByteArray name = path.toUtf8();
        archive_entry_set_pathname(e.get(), name.constData());
        archive_entry_set_size(e.get(), data.size());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0644);
        archive_entry_set_mtime(e.get(), mtime, 0);
        if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK
            || archive_write_data(a.get(), data.constData(), size_t(data.size())) != la_ssize_t(data.size()))
            return Error{QStringLiteral("%1: cannot add to the archive: %2").arg(path, QString::fromUtf8(archive_error_string(a.get())))};
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        return Error{QStringLiteral("cannot finish the archive: %1").arg(QString::fromUtf8(archive_error_string(a.get())))};
    return bytes;
}

Result<void> Bundle::write(const QString& path, bool force) const
{
    // The cheap refusals (a device, a FIFO, a folder, a missing folder) before the archive is built.
    if (auto target = SafeFile::check(path, {}, true); !target)
        return Error{target.error()};
    auto bytes = toArchive();
    if (!bytes)
        return Error{bytes.error()};
    if (auto written = SafeFile::write(path, bytes.value(), force); !written)
        return Error{written.error()};
    return {};
}

Result<Bundle> Bundle::read(const QString& path, const BundleLimits& limits)
{
    // A FIFO or a device would block or never end.
    if (const QFileInfo info(path); info.exists() && !info.isFile())
        return Error{QStringLiteral("%1: not a regular file").arg(path)};
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot read: %2").arg(path, f.errorString())};
    if (f.size() > limits.maxArchiveBytes)
        return Error{QStringLiteral("%1: %2 bytes, more than the %3 a bundle may have").arg(path).arg(f.size()).arg(limits.maxArchiveBytes)};
    return fromArchive(f.readAll(), path, limits);
}

Result<Bundle> Bundle::fromArchive(const QByteArray& archive, const QString& source, const BundleLimits& limits)
{
    std::unique_ptr<struct archive, ArchiveReadDeleter> a(archive_read_new());
    archive_read_support_filter_gzip(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_zip(a.get());
    if (archive.size() > limits.maxArchiveBytes)
        return Error{QStringLiteral("%1: %2 bytes, more than the %3 a bundle may have").arg(source).arg(archive.size()).arg(limits.maxArchiveBytes)};
    if (archive.isEmpty() || archive_read_open_memory(a.get(), archive.constData(), size_t(archive.size())) != ARCHIVE_OK)
        return Error{QStringLiteral("%1: not a readable bundle archive (tar.gz or zip), truncated or corrupt: %2")
                         .arg(source, archive.isEmpty() ? QStringLiteral("empty file") : QString::fromUtf8(archive_error_string(a.get())))};
    QMap<QString, QByteArray> files;
    qint64 total = 0;
    struct archive_entry* e = nullptr;
    int r = ARCHIVE_OK;
    int entries = 0;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        // Directories count too: a stream of a billion empty headers is a bomb of its own.
        if (++entries > limits.maxMembers)
            return Error{QStringLiteral("%1: more than %2 members (files and directories)").arg(source).arg(limits.maxMembers)};
        // Headers and skipped data are inflated too; the members' limit plus room for headers bounds them.
        if (archive_filter_bytes(a.get(), 0) > limits.maxTotalBytes + qint64(limits.maxMembers) * 4096)
            return Error{QStringLiteral("%1: inflates to more than %2 bytes").arg(source).arg(limits.maxTotalBytes + qint64(limits.maxMembers) * 4096)};
        const char* raw = archive_entry_pathname_utf8(e);
        QString path = QString::fromUtf8(raw ? raw : archive_entry_pathname(e));
        while (path.startsWith(QLatin1String("./")))
            path.remove(0, 2);
        const QString where = QStringLiteral("%1: %2").arg(source, clip(path));
        if (archive_entry_hardlink(e))
            return Error{QStringLiteral("%1: a hard link; bundles hold plain files only").arg(where)};
        const auto type = archive_entry_filetype(e);
        if (type == AE_IFLNK)
            return Error{QStringLiteral("%1: a symbolic link; bundles hold plain files only").arg(where)};
        if (type == AE_IFDIR) {
            if (path.endsWith(QLatin1Char('/')))
                path.chop(1);
            if (path.isEmpty() || path == QLatin1String(".")) // the root entry of `tar -C dir .`
                continue;
            if (const QString why = pathProblem(path + QStringLiteral("/x")); !why.isEmpty() && path != QLatin1String("sessions") && path != QLatin1String("exports"))
                return Error{QStringLiteral("%1: %2").arg(where, why)};
            continue;
        }
        if (type != AE_IFREG)
            return Error{QStringLiteral("%1: not a regular file (device, fifo or socket)").arg(where)};
        if (const QString why = pathProblem(path); !why.isEmpty())
            return Error{QStringLiteral("%1: %2").arg(where, why)};
        if (files.contains(path))
            return Error{QStringLiteral("%1: appears twice").arg(where)};
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > limits.maxMemberBytes)
            return Error{QStringLiteral("%1: %2 bytes, more than the %3 a member may have").arg(where).arg(archive_entry_size(e)).arg(limits.maxMemberBytes)};
        // The header's size is not trusted: the data is read with the limit in hand.
        QByteArray data;
        char buffer[65536];
        la_ssize_t n = 0;
        while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0) {
            data.append(buffer, qsizetype(n));
            if (data.size() > limits.maxMemberBytes)
                return Error{QStringLiteral("%1: more than the %2 bytes a member may have").arg(where).arg(limits.maxMemberBytes)};
            if (total + data.size() > limits.maxTotalBytes)
                return Error{QStringLiteral("%1: the members exceed %2 bytes in all").arg(source).arg(limits.maxTotalBytes)};
        }
        if (n < 0)
            return Error{QStringLiteral("%1: truncated or corrupt archive: %2").arg(where, QString::fromUtf8(archive_error_string(a.get())))};
        total += data.size();
        files.insert(path, data);
    }
    if (r != ARCHIVE_EOF)
        return Error{QStringLiteral("%1: truncated or corrupt archive: %2").arg(source, QString::fromUtf8(archive_error_string(a.get())))};
    if (!files.contains(kManifest))
        return Error{QStringLiteral("%1: no manifest.json").arg(source)};
    auto manifest = BundleManifest::fromJson(files.take(kManifest));
    if (!manifest)
        return Error{QStringLiteral("%1: %2").arg(source, manifest.error())};
    Bundle b;
    b.manifest = manifest.value();
    QSet<QString> listed;
    for (const BundleMemberInfo& m : b.manifest.members) {
        const QString where = QStringLiteral("%1: %2").arg(source, m.path);
        if (!files.contains(m.path))
            return Error{QStringLiteral("%1: listed in manifest.json but missing from the archive").arg(where)};
        const QByteArray& data = files[m.path];
        if (data.size() != m.size)
            return Error{QStringLiteral("%1: %2 bytes, manifest.json says %3").arg(where).arg(data.size()).arg(m.size)};
        if (sha256(data) != m.sha256)
            return Error{QStringLiteral("%1: sha256 %2 does not match manifest.json's %3").arg(where, sha256(data), m.sha256)};
        listed.insert(m.path);
    }
    for (auto it = files.begin(); it != files.end(); ++it)
        if (!listed.contains(it.key()))
            return Error{QStringLiteral("%1: %2: not listed in manifest.json").arg(source, it.key())};
    if (contentChecksum(files) != b.manifest.contentSha256)
        return Error{QStringLiteral("%1: manifest.json.content_sha256 does not match the members").arg(source)};
    for (int i = 0; i < b.manifest.entries.size(); ++i) {
        const BundleEntry& en = b.manifest.entries[i];
        if (!files.contains(en.sessionMember))
            return Error{QStringLiteral("%1: manifest.json.entries[%2].session: no member %3").arg(source).arg(i).arg(clip(en.sessionMember))};
        if (auto checked = checkEntry(en, i, files[en.sessionMember], b.manifest.keyPosition); !checked)
            return Error{QStringLiteral("%1: %2").arg(source, checked.error())};
    }
    b.members = files;
    return b;
}

Result<QStringList> Bundle::checkExports(const QString& exportRoot, bool force) const
{
    QStringList unchanged;
    if (exportRoot.isEmpty())
        return unchanged;
    const QString root = QDir(exportRoot).absolutePath();
    for (auto it = members.begin(); it != members.end(); ++it) {
        if (!it.key().startsWith(QLatin1String("exports/")))
            continue;
        const QString rel = it.key().mid(8);
        const QString target = QDir::cleanPath(root + QLatin1Char('/') + rel);
        if (!target.startsWith(root + QLatin1Char('/')))
            return Error{QStringLiteral("%1: escapes %2").arg(it.key(), root)};
        // An existing link on the way could lead outside the target directory; a device or
        // FIFO where a file goes would be replaced: both refused here, before any write.
        auto plan = SafeFile::checkBelow(root, rel, it.value(), force);
        if (!plan)
            return Error{QStringLiteral("%1: %2").arg(it.key(), plan.error())};
        if (plan.value() == SafeFile::Plan::Keep)
            unchanged.append(target);
    }
    return unchanged;
}

Result<BundleImportReport> Bundle::importInto(ResultStore& store, const QString& exportRoot, bool force) const
{
    BundleImportReport report;
    // Everything is decided before anything is written.
    struct Target {
        QString path;
        const QByteArray* data;
    };
    QVector<Target> targets;
    auto unchanged = checkExports(exportRoot, force);
    if (!unchanged)
        return Error{unchanged.error()};
    report.unchangedFiles = unchanged.value();
    if (!exportRoot.isEmpty()) {
        const QString root = QDir(exportRoot).absolutePath();
        for (auto it = members.begin(); it != members.end(); ++it) {
            const QString target = QDir::cleanPath(root + QLatin1Char('/') + it.key().mid(8));
            if (it.key().startsWith(QLatin1String("exports/")) && !report.unchangedFiles.contains(target))
                targets.append(Target{target, &it.value()});
        }
    }
    auto existing = store.sessions();
    if (!existing)
        return Error{existing.error()};
    QVector<std::pair<SessionRecord, QVector<Trial>>> toImport;
    for (const BundleEntry& e : manifest.entries) {
        auto s = parseSession(members.value(e.sessionMember), e.sessionMember);
        if (!s)
            return Error{s.error()};
        const SessionRecord& r = s->first;
        const bool present = std::any_of(existing->begin(), existing->end(), [&](const SessionRecord& x) {
            return x.kernel == r.kernel && x.problem == r.problem && x.device.name == r.device.name && x.device.toolchain == r.device.toolchain
                && x.strategy == r.strategy && x.seed == r.seed && x.trialCount == s->second.size() && x.elapsedMs == r.elapsedMs;
        });
        if (present)
            ++report.skippedSessions;
        else
            toImport.append(s.value());
    }
    // One transaction: a failure partway (the database refusing a row, a full disk) leaves the
    // store as it was; the files are written only after the commit.
    auto transaction = store.transaction();
    if (!transaction)
        return Error{transaction.error()};
    QVector<qint64> added;
    for (const auto& [record, trials] : toImport) {
        auto id = store.createSession(record);
        if (!id)
            return Error{id.error()};
        for (Trial t : trials) {
            t.sessionId = id.value();
            if (auto ok = store.appendTrial(t, record.elapsedMs); !ok)
                return Error{ok.error()};
        }
        if (auto ok = store.setSessionState(id.value(), record.state.isEmpty() ? sessionStateName(SessionState::Finished) : record.state); !ok)
            return Error{ok.error()};
        added.append(id.value());
    }
    if (auto committed = transaction->commit(); !committed)
        return Error{committed.error()};
    report.newSessions = added;
    for (const Target& t : targets) {
        if (!QDir().mkpath(QFileInfo(t.path).absolutePath()))
            return Error{QStringLiteral("%1: cannot create the directory").arg(QFileInfo(t.path).absolutePath())};
        if (auto written = SafeFile::write(t.path, *t.data, force); !written)
            return Error{written.error()};
        report.writtenFiles.append(t.path);
    }
    return report;
}

Result<Bundle> Bundle::merge(const Bundle& a, const QString& nameA, const Bundle& b, const QString& nameB, QStringList& report)
{
    if (a.manifest.kernel != b.manifest.kernel)
        return Error{QStringLiteral("%1 holds kernel '%2' but %3 holds '%4': only bundles of one kernel merge")
                         .arg(nameA, a.manifest.kernel, nameB, b.manifest.kernel)};
    if (a.manifest.keyPosition != b.manifest.keyPosition)
        return Error{QStringLiteral("%1 and %2 read the key at different problem positions").arg(nameA, nameB)};
    Bundle m;
    m.manifest.kernel = a.manifest.kernel;
    m.manifest.keyPosition = a.manifest.keyPosition;
    m.manifest.createdAt = isoTime(QDateTime::currentDateTimeUtc());
    // (gpu, key) -> (entry, its bundle)
    QMap<QPair<QString, qint64>, std::pair<BundleEntry, const Bundle*>> best;
    for (const Bundle* bundle : {&a, &b}) {
        const QString& name = bundle == &a ? nameA : nameB;
        // The times compared are the sessions' own, whatever a manifest claims.
        for (int i = 0; i < bundle->manifest.entries.size(); ++i) {
            const BundleEntry& e = bundle->manifest.entries[i];
            if (auto checked = checkEntry(e, i, bundle->members.value(e.sessionMember), bundle->manifest.keyPosition); !checked)
                return Error{QStringLiteral("%1: %2").arg(name, checked.error())};
        }
        for (BundleEntry e : bundle->manifest.entries) {
            const QPair<QString, qint64> id{e.gpu, e.key};
            const QString origin = e.source.isEmpty() ? name : e.source;
            auto it = best.find(id);
            if (it == best.end()) {
                e.source = origin;
                best.insert(id, {e, bundle});
                continue;
            }
            if (e.bestMs < it->first.bestMs) {
                report.append(QStringLiteral("key %1 on %2: %3 ms from %4 (faster than %5 ms from %6)")
                                  .arg(e.key).arg(e.gpu).arg(e.bestMs, 0, 'g', 6).arg(origin).arg(it->first.bestMs, 0, 'g', 6).arg(it->first.source));
                e.source = origin;
                *it = {e, bundle};
            } else {
                report.append(QStringLiteral("key %1 on %2: %3 ms from %4 (faster than or as fast as %5 ms from %6)")
                                  .arg(e.key).arg(e.gpu).arg(it->first.bestMs, 0, 'g', 6).arg(it->first.source).arg(e.bestMs, 0, 'g', 6).arg(origin));
            }
        }
    }
    for (auto it = best.begin(); it != best.end(); ++it) {
        BundleEntry e = it->first;
        const QByteArray session = it->second->members.value(e.sessionMember);
        e.sessionMember = QStringLiteral("sessions/%1.json").arg(m.manifest.entries.size() + 1);
        m.members.insert(e.sessionMember, session);
        m.manifest.entries.append(e);
    }
    for (const Bundle* bundle : {&a, &b}) {
        for (auto it = bundle->members.begin(); it != bundle->members.end(); ++it) {
            if (!it.key().startsWith(QLatin1String("exports/")))
                continue;
            const Bundle* other = bundle == &a ? &b : &a;
            if (other->members.contains(it.key()) && other->members.value(it.key()) != it.value()) {
                if (bundle == &a)
                    report.append(QStringLiteral("%1: differs between %2 and %3; dropped (export again from the merged sessions)").arg(it.key(), nameA, nameB));
                continue;
            }
            m.members.insert(it.key(), it.value());
        }
    }
    m.seal();
    return m;
}

} // namespace dv

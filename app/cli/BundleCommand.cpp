// `dejavu-tune bundle create|inspect|verify|import|merge`: portable files holding a campaign's
// sessions and exports (docs/exports.md "Bundles").
#include "Cli.h"

#include "CliSupport.h"
#include "base/Format.h"
#include "base/SafeFile.h"
#include "export/Bundle.h"
#include "session/ResultStore.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cstdio>

namespace dv {

using namespace cli;

namespace {

void printManifest(const Bundle& b, const QString& path)
{
    const BundleManifest& m = b.manifest;
    out(QStringLiteral("%1: kernel %2, created %3, %4 members, content sha256 %5").arg(path, m.kernel, m.createdAt)
            .arg(m.members.size()).arg(m.contentSha256));
    out(QStringLiteral("%1  %2  %3  %4  %5  %6").arg(QStringLiteral("gpu"), -24).arg(QStringLiteral("key"), 8).arg(QStringLiteral("strategy"), -8)
            .arg(QStringLiteral("evals"), 5).arg(QStringLiteral("best"), 10).arg(QStringLiteral("toolchain / driver / source")));
    for (const BundleEntry& e : m.entries)
        out(QStringLiteral("%1  %2  %3  %4  %5  %6").arg(e.gpu, -24).arg(e.key, 8).arg(e.strategy, -8).arg(e.evaluations, 5)
                .arg(Format::time(e.bestMs), 10).arg(QStringList{e.toolchain, e.driver, e.source}.join(QStringLiteral(" / "))));
    qint64 exports = 0;
    for (const BundleMemberInfo& mi : m.members)
        exports += mi.path.startsWith(QLatin1String("exports/")) ? 1 : 0;
    out(QStringLiteral("export files: %1").arg(exports));
}

} // namespace

int Cli::bundle(const QStringList& arguments)
{
    const QString sub = arguments.value(1);
    const QStringList subs{QStringLiteral("create"), QStringLiteral("inspect"), QStringLiteral("verify"), QStringLiteral("import"), QStringLiteral("merge")};
    const bool asked = sub == QLatin1String("--help") || sub == QLatin1String("-h") || sub == QLatin1String("help");
    if (!subs.contains(sub)) {
        if (!asked)
            err(sub.isEmpty() ? QStringLiteral("bundle: expected one of %1").arg(subs.join(QStringLiteral(", ")))
                              : QStringLiteral("bundle: expected one of %1, got '%2'").arg(subs.join(QStringLiteral(", ")), sub));
        std::fprintf(asked ? stdout : stderr,
                     "usage: dejavu-tune bundle <command> [options]   (dejavu-tune bundle <command> --help for details)\n\n"
                     "commands (docs/exports.md, \"Bundles\"):\n"
                     "  create   write the sessions and export folders of a campaign into one .tar.gz\n"
                     "  inspect  print a bundle's manifest\n"
                     "  verify   check a bundle's checksums and schema\n"
                     "  import   add a bundle's sessions to a result database and write its export files\n"
                     "  merge    combine two bundles of one kernel, the faster entry per key and GPU\n");
        return asked ? kOk : kBadInput;
    }
    QStringList args = arguments;
    args.removeAt(1);
    args[0] = QStringLiteral("dejavu-tune bundle ") + sub; // the usage line of --help
    QCommandLineParser p;
    p.addOption(databaseOption(QStringLiteral("create, import: result database.")));
    p.addOption({QStringLiteral("session"), QStringLiteral("create: session ids (list or repeated)."), QStringLiteral("IDS")});
    p.addOption({QStringLiteral("key-position"), QStringLiteral("create: position of the key in each session's problem (default 0)."), QStringLiteral("POS")});
    p.addOption({QStringLiteral("kernel"), QStringLiteral("create: the campaign's kernel name (default: the sessions' kernel)."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("export"), QStringLiteral("create: NAME=DIR, an export directory to include as exports/NAME (repeatable)."), QStringLiteral("NAME=DIR")});
    p.addOption({QStringLiteral("exports"), QStringLiteral("import: write the bundle's exports/NAME/... below this directory as NAME/..."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("out"), QStringLiteral("create, merge: the bundle to write (.tar.gz)."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("force"), QStringLiteral("Replace existing files with different content (never a device, FIFO or link).")});
    if (!parse(p, args, QStringLiteral("bundle %1: portable campaign files (docs/exports.md).").arg(sub), true))
        return kBadInput;
    const QStringList files = p.positionalArguments();
    const bool force = p.isSet(QStringLiteral("force"));
    if (SafeFile::isStdout(p.value(QStringLiteral("out")))) {
        err(QStringLiteral("--out -: a bundle is written to a file; give its path"));
        return kBadInput;
    }

    if (sub == QLatin1String("create")) {
        if (!p.isSet(QStringLiteral("db")) || !p.isSet(QStringLiteral("out")) || !p.isSet(QStringLiteral("session"))) {
            err(QStringLiteral("bundle create: --db, --session and --out are required"));
            return kBadInput;
        }
        qint64 position = 0;
        if (!intOption(p, QStringLiteral("key-position"), 0, position))
            return kBadInput;
        QVector<qint64> ids;
        if (!sessionIdsOption(p, ids))
            return kBadInput;
        QMap<QString, QString> exports;
        for (const QString& e : p.values(QStringLiteral("export"))) {
            const int eq = e.indexOf(QLatin1Char('='));
            if (eq <= 0) {
                err(QStringLiteral("--export: expected NAME=DIR, got '%1'").arg(e));
                return kBadInput;
            }
            exports.insert(e.left(eq), e.mid(eq + 1));
        }
        auto store = openStoreForReading(p.value(QStringLiteral("db")));
        if (!store)
            return kBadInput;
        auto b = Bundle::fromSessions(*store, ids, int(position), p.value(QStringLiteral("kernel")), exports);
        if (!b) {
            err(b.error());
            return kBadInput;
        }
        if (auto w = b->write(p.value(QStringLiteral("out")), force); !w) {
            err(w.error());
            return SafeFile::isRefusal(w.error()) ? kBadInput : kFailed;
        }
        printManifest(b.value(), p.value(QStringLiteral("out")));
        return kOk;
    }
    if (sub == QLatin1String("merge")) {
        if (files.size() != 2 || !p.isSet(QStringLiteral("out"))) {
            err(QStringLiteral("bundle merge: expected two bundles and --out"));
            return kBadInput;
        }
        auto a = Bundle::read(files[0]);
        auto b = a ? Bundle::read(files[1]) : Result<Bundle>(Error{QString()});
        if (!a || !b) {
            err(!a ? a.error() : b.error());
            return kBadInput;
        }
        QStringList report;
        auto m = Bundle::merge(a.value(), QFileInfo(files[0]).fileName(), b.value(), QFileInfo(files[1]).fileName(), report);
        if (!m) {
            err(m.error());
            return kBadInput;
        }
        if (auto w = m->write(p.value(QStringLiteral("out")), force); !w) {
            err(w.error());
            return SafeFile::isRefusal(w.error()) ? kBadInput : kFailed;
        }
        for (const QString& line : report)
            out(line);
        printManifest(m.value(), p.value(QStringLiteral("out")));
        return kOk;
    }
    if (files.size() != 1) {
        err(QStringLiteral("bundle %1: expected one bundle file").arg(sub));
        return kBadInput;
    }
    auto b = Bundle::read(files[0]);
    if (!b) {
        err(b.error());
        return kBadInput;
    }
    if (sub == QLatin1String("verify")) {
        out(QStringLiteral("%1: ok (%2 members, %3 entries, content sha256 %4)").arg(files[0]).arg(b->manifest.members.size())
                .arg(b->manifest.entries.size()).arg(b->manifest.contentSha256));
        return kOk;
    }
    if (sub == QLatin1String("inspect")) {
        printManifest(b.value(), files[0]);
        return kOk;
    }
    // import
    if (!p.isSet(QStringLiteral("db"))) {
        err(QStringLiteral("bundle import: --db is required"));
        return kBadInput;
    }
    const QString db = p.value(QStringLiteral("db"));
    // A refused export target must not leave a new, empty database behind.
    if (auto checked = b->checkExports(p.value(QStringLiteral("exports")), force); !checked) {
        err(checked.error());
        return SafeFile::isRefusal(checked.error()) ? kBadInput : kFailed;
    }
    QDir().mkpath(QFileInfo(db).absolutePath());
    auto store = ResultStore::open(db);
    if (!store) {
        err(store.error());
        return kBadInput;
    }
    auto report = b->importInto(*store.value(), p.value(QStringLiteral("exports")), force);
    if (!report) {
        err(report.error());
        return SafeFile::isRefusal(report.error()) ? kBadInput : kFailed;
    }
    QStringList ids;
    for (qint64 id : report->newSessions)
        ids.append(QString::number(id));
    out(QStringLiteral("imported %1 sessions (%2) into %3; %4 already there; %5 export files written, %6 unchanged")
            .arg(report->newSessions.size()).arg(ids.join(QLatin1Char(',')), db).arg(report->skippedSessions)
            .arg(report->writtenFiles.size()).arg(report->unchangedFiles.size()));
    return kOk;
}

} // namespace dv

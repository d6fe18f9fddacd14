#pragma once

#include "session/ResultStore.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <QCommandLineOption>

class QCommandLineParser;

namespace dv::cli {

/// Exit codes of every subcommand.
constexpr int kOk = 0;
constexpr int kFailed = 1;   ///< a failure while running (device, store)
constexpr int kBadInput = 2; ///< bad usage or bad input; nothing was written
constexpr int kNoResult = 3;     ///< a session ran but no configuration succeeded ("best: none")
constexpr int kInterrupted = 130; ///< stopped by Ctrl-C (SIGINT): the trial in flight is dropped, the finished ones kept; resumable
constexpr int kTerminated = 143;  ///< stopped by SIGTERM, likewise; resumable

/// "dejavu-tune: <text>" on stderr.
void err(const QString& text);
/// A line on stdout.
void out(const QString& text);
/// The result database used when --db is not given.
QString defaultDatabase();
/// Parses a subcommand's options (adds --help); prints the problem and returns false on bad usage.
/// `args.first()` names the command in the help's usage line ("dejavu-tune tune"); --help prints
/// the help on stdout and exits 0.
bool parse(QCommandLineParser& p, const QStringList& args, const QString& description, bool positional = false);
/// The parser's help with the usage line naming the command (`command`, e.g. "dejavu-tune tune").
QString helpText(const QCommandLineParser& p, const QString& command);
/// The result-database option every command that takes a store accepts: --db, documented, and
/// --database, the same option under the studio's name.
QCommandLineOption databaseOption(const QString& description);
/// The value of databaseOption(), or defaultDatabase() when it is not given.
QString databasePath(const QCommandLineParser& p);
/// Reads an optional integer option >= minimum into `value`; false (after a message) when malformed.
bool intOption(const QCommandLineParser& p, const QString& name, qint64 minimum, qint64& value);
/// Reads an optional non-negative number option into `value`; false (after a message) when malformed.
bool doubleOption(const QCommandLineParser& p, const QString& name, double& value);
QString compactJson(const QJsonObject& o);
/// Opens a result database that must already exist (a mistyped path must not create an empty one);
/// null after a message naming the path.
std::unique_ptr<ResultStore> openExistingStore(const QString& path);
/// The ids of the --session option, repeated or as lists ("1,2,3"); false (after a message
/// "--session: expected <expected> >= 1, got ...") when one is not an integer >= 1.
bool sessionIdsOption(const QCommandLineParser& p, QList<qint64>& ids, const QString& expected = QStringLiteral("integers"));
/// One evaluation as a JSON line on stdout, parameters in the space's order (replay, tune --print-trials).
void printTrialLine(const ConfigSpace& space, const Trial& t);
/// For commands that only read (sessions, export, ladder --coverage, bundle create): an existing
/// store, opened read-only when this process may not write it (ResultStore::openForReading).
std::unique_ptr<ResultStore> openStoreForReading(const QString& path);

} // namespace dv::cli

#include "CliSupport.h"

#include "base/Status.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>

#include <cstdio>
#include <cstdlib>

namespace dv::cli {

void err(const QString& text) { std::fprintf(stderr, "dejavu-tune: %s\n", qPrintable(text)); }
void out(const QString& text) { std::fprintf(stdout, "%s\n", text.toUtf8().constData()); }

QString defaultDatabase()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return dir + QStringLiteral("/results.sqlite");
}

/// Parses a subcommand's options; prints the problem and returns false on bad usage.
bool parse(QCommandLineParser& p, const QStringList& args, const QString& description, bool positional)
{
    p.setApplicationDescription(description);
    p.addHelpOption();
    if (!p.parse(args)) {
        err(p.errorText());
        return false;
    }
    if (p.isSet(QStringLiteral("help"))) {
        std::fprintf(stdout, "%s", qPrintable(helpText(p, args.value(0))));
        std::fflush(stdout);
        std::exit(kOk);
    }
    if (!p.positionalArguments().isEmpty() && !positional) {
        err(QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments().first()));
        return false;
    }
    return true;
}

QString helpText(const QCommandLineParser& p, const QString& command)
{
    // Qt names the executable as it was started; the usage line names the subcommand too.
    QString text = p.helpText();
    const QString usage = QStringLiteral("Usage: ");
    const qsizetype start = text.indexOf(usage);
    const qsizetype end = text.indexOf(QStringLiteral(" [options]"), start);
    if (start >= 0 && end > start && !command.isEmpty())
        text.replace(start + usage.size(), end - start - usage.size(), command);
    return text;
}

QCommandLineOption databaseOption(const QString& description)
{
    return QCommandLineOption({QStringLiteral("db"), QStringLiteral("database")}, description, QStringLiteral("FILE"));
}

QString databasePath(const QCommandLineParser& p)
{
    return p.isSet(QStringLiteral("db")) ? p.value(QStringLiteral("db")) : defaultDatabase();
}

bool intOption(const QCommandLineParser& p, const QString& name, qint64 minimum, qint64& value)
{
    if (!p.isSet(name))
        return true;
    bool ok = false;
    const qint64 v = p.value(name).toLongLong(&ok);
    if (!ok || v < minimum) {
        err(QStringLiteral("--%1: expected an integer >= %2, got '%3'").arg(name).arg(minimum).arg(p.value(name)));
        return false;
    }
    value = v;
    return true;
}

bool doubleOption(const QCommandLineParser& p, const QString& name, double& value)
{
    if (!p.isSet(name))
        return true;
    bool ok = false;
    const double v = p.value(name).toDouble(&ok);
    if (!ok || v < 0) {
        err(QStringLiteral("--%1: expected a non-negative number, got '%2'").arg(name, p.value(name)));
        return false;
    }
    value = v;
    return true;
}

QString compactJson(const QJsonObject& o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }

std::unique_ptr<ResultStore> openExistingStore(const QString& path)
{
    if (!QFileInfo::exists(path)) {
        err(QStringLiteral("%1: no such result database").arg(path));
        return nullptr;
    }
    auto store = ResultStore::open(path);
    if (!store) {
        err(store.error());
        return nullptr;
    }
    return std::move(store.value());
}

std::unique_ptr<ResultStore> openStoreForReading(const QString& path)
{
    auto store = ResultStore::openForReading(path);
    if (!store) {
        err(store.error());
        return nullptr;
    }
    return std::move(store.value());
}

bool sessionIdsOption(const QCommandLineParser& p, QList<qint64>& ids, const QString& expected)
{
    for (const QString& v : p.values(QStringLiteral("session")).join(QLatin1Char(',')).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = v.toLongLong(&ok);
        if (!ok || id < 1) {
            err(QStringLiteral("--session: expected %1 >= 1, got '%2'").arg(expected, v));
            return false;
        }
        ids.append(id);
    }
    return true;
}

/// One evaluation as a JSON line on stdout, parameters in the space's order:
/// {"i": 1, "config": {"BLOCK_M": 128, ...}, "status": "ok", "objective": 0.1932}.
void printTrialLine(const ConfigSpace& space, const Trial& t)
{
    QByteArray line = "{\"i\": " + QByteArray::number(t.sequence) + ", \"config\": {";
    const auto& params = space.parameters();
    for (int i = 0; i < params.size(); ++i) {
        const QJsonValue v = t.config.value(params[i].name);
        QByteArray value = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
        line += (i ? ", " : "") + QJsonDocument(QJsonArray{params[i].name}).toJson(QJsonDocument::Compact).mid(1).chopped(1)
              + ": " + value.mid(1, value.size() - 2);
    }
    line += "}, \"status\": \"" + statusName(t.measurement.status).toUtf8() + "\", \"objective\": ";
    line += t.measurement.isOk() ? QByteArray::number(t.measurement.objectiveMs, 'g', QLocale::FloatingPointShortest) : QByteArray("null");
    line += "}\n";
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
}

} // namespace dv::cli

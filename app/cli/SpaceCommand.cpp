// `dejavu-tune space`: checks a space file and counts its valid configurations.
#include "Cli.h"

#include "CliSupport.h"
#include "base/Format.h"
#include "space/ConfigSpace.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>

namespace dv {

using namespace cli;

int Cli::space(const QStringList& args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("file"), QStringLiteral("Space file (docs/space-format.md)."));
    p.addOption({QStringLiteral("list"), QStringLiteral("Print the first N valid configurations."), QStringLiteral("N")});
    if (!parse(p, args, QStringLiteral("Check a configuration-space file and count its valid configurations."), true))
        return kBadInput;
    if (p.positionalArguments().size() != 1) {
        err(QStringLiteral("space: expected one space file"));
        return kBadInput;
    }
    qint64 list = 0;
    if (!intOption(p, QStringLiteral("list"), 0, list))
        return kBadInput;
    const QString path = p.positionalArguments().first();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        err(QStringLiteral("%1: cannot open: %2").arg(path, file.errorString()));
        return kBadInput;
    }
    QElapsedTimer clock;
    clock.start();
    auto space = ConfigSpace::fromJson(file.readAll(), path);
    if (!space) {
        err(space.error());
        return kBadInput;
    }
    out(QStringLiteral("%1: %2, %3, %4 valid after %5 (%6)")
            .arg(path, Format::count(space->dimensions(), QStringLiteral("parameter")),
                 Format::count(space->productSize(), QStringLiteral("combination"))).arg(space->size())
            .arg(Format::count(space->constraints().size(), QStringLiteral("constraint")),
                 Format::duration(double(clock.nsecsElapsed()) / 1e9)));
    for (qint64 i = 0; i < std::min<qint64>(list, space->size()); ++i)
        out(space->key(i));
    return kOk;
}

} // namespace dv

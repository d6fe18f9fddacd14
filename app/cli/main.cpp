#include "Cli.h"

#include <QCoreApplication>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("dejavu-studio"));
    QCoreApplication::setOrganizationName(QStringLiteral("dejavu-studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    return dv::Cli::run(QCoreApplication::arguments());
}

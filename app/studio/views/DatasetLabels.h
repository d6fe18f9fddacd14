#pragma once

#include <QString>
#include <QStringList>

namespace dv::studio {

/// "replay:kerneltuner/convolution_A100" -> "convolution_A100": the file name says the GPU.
inline QString datasetName(const QString& id)
{
    return id.section(QLatin1Char('/'), -1);
}

/// The prefix dataset names share up to their last '_' ("convolution_A100", "convolution_W7800"
/// -> "convolution_"), so that the comparison's headers can show the GPU part alone; empty when
/// there is none.
inline QString commonPrefix(const QStringList& names)
{
    if (names.size() < 2)
        return {};
    QString prefix = names.front();
    for (const QString& n : names)
        while (!n.startsWith(prefix))
            prefix.chop(1);
    const int cut = int(prefix.lastIndexOf(QLatin1Char('_')));
    return cut < 0 ? QString() : prefix.left(cut + 1);
}

} // namespace dv::studio

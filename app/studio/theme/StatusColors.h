#pragma once

#include "base/Status.h"

#include <QColor>

namespace dv::studio {

/// One colour per status, shared by the table and the plots so a status looks the same everywhere.
/// Chosen from the Okabe-Ito palette to stay distinct for colour-blind users and on dark themes.
inline QColor statusColor(Status status)
{
    switch (status) {
    case Status::Ok:
        return QColor(0x00, 0x72, 0xB2);
    case Status::Invalid:
        return QColor(0x99, 0x99, 0x99);
    case Status::CompileError:
        return QColor(0xE6, 0x9F, 0x00);
    case Status::RuntimeError:
        return QColor(0xD5, 0x5E, 0x00);
    case Status::WrongResult:
        return QColor(0xCC, 0x79, 0xA7);
    case Status::Timeout:
        return QColor(0x56, 0xB4, 0xE9);
    case Status::Crashed:
        return QColor(0xC0, 0x00, 0x00);
    }
    return Qt::black;
}

} // namespace dv::studio

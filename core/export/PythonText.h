#pragma once

#include <QString>
#include <QStringList>

namespace dv {

/// Python's text renderings, reproduced byte for byte: exporters whose consumers are Python
/// programs hash or compare these strings, so "close enough" means "silently ignored".
namespace python {

/// repr(float) / str(float): the shortest text that round-trips, "1e-05", "0.7", "12.0", "inf".
QString floatRepr(double value);
/// repr(str): single quotes unless the text holds a ' and no ", backslashes and control
/// characters escaped as Python does.
QString strRepr(const QString& text);
/// str(tuple of str): "('a', 'b')", and "('a',)" for one element.
QString tupleOfStr(const QStringList& items);
/// json.dumps(text) with the default ensure_ascii=True.
QString jsonString(const QString& text);
/// str(list of float): "[0.5, 0.2, 0.8]".
QString floatList(const QVector<double>& values);

} // namespace python
} // namespace dv

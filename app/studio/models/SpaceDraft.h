#pragma once

#include "base/Result.h"
#include "space/Parameter.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace dv {
class ConfigSpace;
}

namespace dv::studio {

/// A configuration space as the space editor holds it: parameter names with their values as
/// text ("32, 64, 128") and constraints one per line. It checks each part where it is written
/// (a parameter row, a constraint line) with the core's own parser and constraint compiler, so
/// the editor shows the same messages as `dejavu-tune space`.
class SpaceDraft {
public:
    struct Row {
        QString name;
        QString values;
    };

    /// What check() found: the parsed parameters, the constraints with the line each was written
    /// on, and the errors by row or line (0-based). A draft is usable when both maps are empty.
    struct Checked {
        QVector<Parameter> parameters;
        QStringList constraints;
        QVector<int> constraintLines;
        QMap<int, QString> parameterErrors;
        QMap<int, QString> constraintErrors;
        bool ok() const { return parameterErrors.isEmpty() && constraintErrors.isEmpty(); }
    };

    /// Valid configurations and the size of the product they are drawn from, or why not.
    struct Count {
        qint64 valid = -1;
        quint64 product = 0;
        QString error; ///< set when the space cannot be enumerated (valid is then -1)
    };

    QString name;
    QVector<Row> rows;
    QString constraintText;

    /// The draft of an existing space (a space file or a dataset's parameters).
    static SpaceDraft fromSpace(const ConfigSpace& space);
    /// A comma-separated value list as JSON values: numbers, true/false, strings (quoted or bare).
    static QVector<QJsonValue> parseValues(const QString& text);
    static QString valuesText(const QVector<QJsonValue>& values);

    /// Parses every row and compiles every constraint line on its own, so each error stays
    /// attached to the row or line that caused it. Blank lines and lines starting with '#' are skipped.
    Checked check() const;
    /// The core's limit on valid configurations (ConfigSpace refuses larger spaces).
    static constexpr qint64 kMaxCount = 100'000'000;

    /// Enumerates the valid set of a checked draft without storing it (ConstraintSet, ~16 ms
    /// for 1e6 combinations); stops at kMaxCount.
    static Count count(const Checked& checked);
    /// The space file (docs/space-format.md) of a draft without errors; the text is verified by
    /// parsing it back as a space file.
    Result<QByteArray> toSpaceFile() const;
};

} // namespace dv::studio

#pragma once

#include "Parameter.h"
#include "Result.h"

#include <QJsonObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

namespace dv {

/// A configuration space: named parameters with ordered values, and the set of valid
/// combinations (those satisfying the constraints, or the explicit list of a recorded dataset).
///
/// Valid configurations are numbered 0..size()-1 in enumeration order (the Cartesian product
/// with the first parameter most significant); strategies work with these indices. Copies are
/// cheap and share the immutable data.
class ConfigSpace {
public:
    ConfigSpace();

    /// Parses a space file (docs/space-format.md). `source` names the file in error messages.
    /// Enumerating the valid set is bounded (EnumerationLimits) and stops with an error when
    /// `interrupt` becomes true.
    static Result<ConfigSpace> fromJson(const QByteArray& json, const QString& source,
                                        const std::atomic<bool>* interrupt = nullptr);
    /// Only the "parameters" of a space file (no enumeration): for exporters and tools.
    static Result<QVector<Parameter>> parametersFromJson(const QJsonObject& root, const QString& source);
    /// Builds a space from parameters and constraint expressions, enumerating the valid set.
    static Result<ConfigSpace> create(const QString& name, QVector<Parameter> parameters,
                                      QStringList constraints, const std::atomic<bool>* interrupt = nullptr);
    /// A space whose valid set is given explicitly by ordinals in the product (a recorded dataset).
    static Result<ConfigSpace> fromOrdinals(const QString& name, QVector<Parameter> parameters,
                                            std::vector<quint64> ordinals);

    const QString& name() const;
    const QVector<Parameter>& parameters() const;
    const QStringList& constraints() const;
    int dimensions() const;
    /// Number of combinations in the Cartesian product.
    quint64 productSize() const;
    /// Number of valid configurations.
    qint64 size() const;

    quint64 ordinal(qint64 index) const;
    /// Index of the given product ordinal in the valid set, or -1.
    qint64 indexOfOrdinal(quint64 ordinal) const;
    /// Value index of every parameter for a valid configuration.
    std::vector<int> valueIndices(qint64 index) const;
    QJsonObject config(qint64 index) const;
    QString key(qint64 index) const;
    /// Index of a configuration given as name -> value, or -1 if it is not a valid member.
    qint64 indexOf(const QJsonObject& config) const;
    /// Position of `value` in the parameter's value list, or -1.
    int valueIndex(int parameter, const QJsonValue& value) const;

    /// The stable key of a configuration: its compact JSON with names sorted, so the same
    /// configuration has the same key whatever order a file lists its parameters in.
    static QString keyOf(const QJsonObject& config);

    /// The space in the documented file format (parameters, constraints).
    QJsonObject toJson() const;

private:
    struct Data;
    static Result<std::shared_ptr<Data>> makeData(const QString& name, QVector<Parameter> parameters,
                                                  QStringList constraints);
    std::shared_ptr<const Data> m_data;
};

} // namespace dv

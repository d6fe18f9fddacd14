#pragma once

#include "base/JsonUtil.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1String>
#include <QString>
#include <QStringList>

#include <cmath>
#include <limits>
#include <utility>

namespace dv::WorkerProtocol {

enum class Need { Required, Optional };

/// Reads the fields of one worker-protocol message, remembering the first problem so that parsers
/// read like a list of fields; every problem names the message and the field.
class FieldReader {
public:
    FieldReader(const QJsonObject& object, QString where)
        : m_object(object)
        , m_where(std::move(where))
    {}

    bool failed() const { return !m_error.isEmpty(); }
    const QString& error() const { return m_error; }

    void fail(const QString& field, const QString& problem)
    {
        if (!failed())
            m_error = m_where + QLatin1Char('.') + field + QStringLiteral(": ") + problem;
    }

    // Present and not null; marks the field as known.
    bool has(QLatin1String key)
    {
        if (!m_known.contains(QString(key)))
            m_known.append(QString(key));
        const QJsonValue v = m_object.value(key);
        return !v.isUndefined() && !v.isNull();
    }

    QJsonValue take(QLatin1String key, Need need)
    {
        if (!has(key)) {
            if (need == Need::Required && !failed())
                m_error = QStringLiteral("%1: missing field '%2'").arg(m_where, QString(key));
            return QJsonValue(QJsonValue::Undefined);
        }
        return m_object.value(key);
    }

    QString string(QLatin1String key, Need need = Need::Required, bool allowEmpty = true)
    {
        const QJsonValue v = take(key, need);
        if (v.isUndefined())
            return {};
        if (!v.isString()) {
            fail(QString(key), QStringLiteral("expected a string, got ") + jsonText(v));
            return {};
        }
        if (!allowEmpty && v.toString().isEmpty())
            fail(QString(key), QStringLiteral("must not be empty"));
        return v.toString();
    }

    qint64 integer(QLatin1String key, Need need, qint64 min, qint64 fallback = 0)
    {
        const QJsonValue v = take(key, need);
        if (v.isUndefined())
            return fallback;
        return checkInteger(QString(key), v, min);
    }

    qint64 checkInteger(const QString& field, const QJsonValue& v, qint64 min)
    {
        constexpr qint64 kNotInteger = std::numeric_limits<qint64>::min();
        const qint64 i = v.isDouble() ? v.toInteger(kNotInteger) : kNotInteger;
        if (i == kNotInteger || i < min) {
            fail(field, QStringLiteral("expected an integer >= %1, got %2").arg(min).arg(jsonText(v)));
            return min;
        }
        return i;
    }

    double number(QLatin1String key, Need need, double min, double fallback = std::nan(""))
    {
        const QJsonValue v = take(key, need);
        if (v.isUndefined())
            return fallback;
        return checkNumber(QString(key), v, min);
    }

    double checkNumber(const QString& field, const QJsonValue& v, double min)
    {
        if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < min) {
            fail(field, QStringLiteral("expected a number >= %1, got %2").arg(min).arg(jsonText(v)));
            return min;
        }
        return v.toDouble();
    }

    bool boolean(QLatin1String key, Need need = Need::Required, bool fallback = false)
    {
        const QJsonValue v = take(key, need);
        if (v.isUndefined())
            return fallback;
        if (!v.isBool()) {
            fail(QString(key), QStringLiteral("expected true or false, got ") + jsonText(v));
            return fallback;
        }
        return v.toBool();
    }

    QJsonObject object(QLatin1String key, Need need = Need::Required)
    {
        const QJsonValue v = take(key, need);
        if (v.isUndefined())
            return {};
        if (!v.isObject()) {
            fail(QString(key), QStringLiteral("expected an object, got ") + jsonText(v));
            return {};
        }
        return v.toObject();
    }

    QJsonArray array(QLatin1String key, Need need = Need::Required)
    {
        const QJsonValue v = take(key, need);
        if (v.isUndefined())
            return {};
        if (!v.isArray()) {
            fail(QString(key), QStringLiteral("expected an array, got ") + jsonText(v));
            return {};
        }
        return v.toArray();
    }

    // Unknown fields are errors, so that a misspelt field is not silently ignored; extensions
    // go into the "extra" objects.
    void finish()
    {
        if (failed())
            return;
        for (auto it = m_object.begin(); it != m_object.end(); ++it) {
            if (!m_known.contains(it.key())) {
                m_error = QStringLiteral("%1: unknown field '%2' (expected %3)")
                              .arg(m_where, it.key(), m_known.join(QStringLiteral(", ")));
                return;
            }
        }
    }

private:
    QJsonObject m_object;
    QString m_where;
    QStringList m_known;
    QString m_error;
};

} // namespace dv::WorkerProtocol

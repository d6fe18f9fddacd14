#include "space/ConstraintSet.h"

#include "base/JsonUtil.h"

#include <QHash>
#include <QRegularExpression>

#include <muParser.h>

#include <cfenv>
#include <cmath>
#include <deque>

namespace dv {

namespace {

// The floating-point exceptions that mean "no defined value": x/0 (inf), 0/0, fmod(x, 0),
// sqrt(-1), log(-1) (NaN). They are sticky, so a whole enumeration is checked at once.
constexpr int kUndefined = FE_DIVBYZERO | FE_INVALID;

double opModulo(double a, double b) { return std::fmod(a, b); }
double opNot(double a) { return a == 0.0 ? 1.0 : 0.0; }
double fnFloor(double a) { return std::floor(a); }
double fnCeil(double a) { return std::ceil(a); }

// Unknown names are collected instead of rejected, so the error can say which parameter is unknown.
struct UnknownNames {
    std::deque<double> storage;
    QStringList names;
};

double* collectUnknown(const char* name, void* userData)
{
    auto* unknown = static_cast<UnknownNames*>(userData);
    unknown->names.append(QString::fromUtf8(name));
    unknown->storage.push_back(0.0);
    return &unknown->storage.back();
}

} // namespace

struct ConstraintSet::Impl {
    int dims = 0;
    std::vector<int> radix;                  // number of values per parameter
    std::vector<std::vector<double>> numeric; // numeric value of each candidate value
    std::unique_ptr<double[]> vars;           // muparser binds to these
    std::vector<std::unique_ptr<mu::Parser>> parsers;
    std::vector<std::vector<int>> byLevel;    // parser indices attached to each parameter level
    std::vector<int> constantParsers;         // constraints that mention no parameter
    UnknownNames unknown;
    QStringList texts;                        // the constraints as written, for errors
    QVector<Parameter> parameters;            // for errors: the values of a combination
};

ConstraintSet::ConstraintSet() : m_impl(std::make_unique<Impl>()) {}
ConstraintSet::~ConstraintSet() = default;
ConstraintSet::ConstraintSet(ConstraintSet&&) noexcept = default;
ConstraintSet& ConstraintSet::operator=(ConstraintSet&&) noexcept = default;

int ConstraintSet::count() const { return int(m_impl->parsers.size()); }

// Python's `not` binds looser than comparisons (`not a == b` is `not (a == b)`), C's `!` tighter,
// so `not X` becomes `!(X)` with X running to the next and/or, ?, :, comma or unmatched ')'.
// Runs after string literals became numbers, so no quoted text is left to scan.
static QString scopePythonNot(QString s)
{
    static const QRegularExpression notWord(QStringLiteral(R"(\bnot\b)"));
    for (auto m = notWord.match(s); m.hasMatch(); m = notWord.match(s)) {
        qsizetype end = m.capturedEnd();
        int depth = 0;
        for (; end < s.size(); ++end) {
            const QChar c = s[end];
            const QStringView two = QStringView(s).mid(end, 2);
            if (c == QLatin1Char('('))
                ++depth;
            else if (c == QLatin1Char(')') && --depth < 0)
                break;
            else if (depth == 0
                     && (two == QLatin1String("&&") || two == QLatin1String("||") || c == QLatin1Char('?')
                         || c == QLatin1Char(':') || c == QLatin1Char(',')))
                break;
        }
        s = s.left(m.capturedStart()) + QStringLiteral("!(") + s.mid(m.capturedEnd(), end - m.capturedEnd())
          + QStringLiteral(")") + s.mid(end);
    }
    return s;
}

static QString rewriteExpression(const QString& expression, QHash<QString, double>& stringIds,
                                 QString* error)
{
    // Quoted string literals become the numeric id shared with string-valued parameters; Python's
    // word operators become C ones. Everything else is muparser's to parse.
    static const QRegularExpression literal(QStringLiteral(R"re("([^"]*)"|'([^']*)')re"));
    static const QRegularExpression andWord(QStringLiteral(R"(\band\b)"));
    static const QRegularExpression orWord(QStringLiteral(R"(\bor\b)"));
    QString out;
    qsizetype last = 0;
    auto words = [](QString s) {
        s.replace(andWord, QStringLiteral("&&"));
        s.replace(orWord, QStringLiteral("||"));
        return s;
    };
    auto it = literal.globalMatch(expression);
    while (it.hasNext()) {
        const auto m = it.next();
        out += words(expression.mid(last, m.capturedStart() - last));
        const QString text = m.captured(1).isNull() ? m.captured(2) : m.captured(1);
        auto found = stringIds.find(text);
        if (found == stringIds.end())
            found = stringIds.insert(text, double(stringIds.size() + 1) * 1e9 + 0.5);
        out += QString::number(*found, 'f', 1);
        last = m.capturedEnd();
    }
    const QString rest = expression.mid(last);
    if (rest.count(QLatin1Char('"')) % 2 != 0 || rest.count(QLatin1Char('\'')) % 2 != 0)
        *error = QStringLiteral("unterminated string literal");
    out += words(rest);
    return scopePythonNot(out);
}

Result<ConstraintSet> ConstraintSet::compile(const QVector<Parameter>& parameters,
                                             const QStringList& expressions)
{
    ConstraintSet set;
    Impl& d = *set.m_impl;
    d.dims = int(parameters.size());
    d.texts = expressions;
    d.parameters = parameters;
    d.vars = std::make_unique<double[]>(size_t(std::max(1, d.dims)));
    d.byLevel.resize(size_t(d.dims));

    // Every distinct string gets an id far from ordinary numbers, so `layout == "row"` compares ids.
    QHash<QString, double> stringIds;
    for (const Parameter& p : parameters) {
        std::vector<double> values;
        for (const QJsonValue& v : p.values) {
            if (v.isBool()) {
                values.push_back(v.toBool() ? 1.0 : 0.0);
            } else if (v.isString()) {
                auto found = stringIds.find(v.toString());
                if (found == stringIds.end())
                    found = stringIds.insert(v.toString(), double(stringIds.size() + 1) * 1e9 + 0.5);
                values.push_back(*found);
            } else {
                values.push_back(v.toDouble());
            }
        }
        d.radix.push_back(int(p.values.size()));
        d.numeric.push_back(std::move(values));
    }

    QHash<QString, int> level;
    for (int i = 0; i < d.dims; ++i)
        level.insert(parameters[i].name, i);

    for (int c = 0; c < expressions.size(); ++c) {
        const QString& text = expressions[c];
        auto fail = [&](const QString& why) {
            return Error{QStringLiteral("constraint %1 '%2': %3").arg(c + 1).arg(clip(text), why)};
        };
        if (text.trimmed().isEmpty())
            return fail(QStringLiteral("empty expression"));
        if (text.size() > kMaxExpressionLength)
            return fail(QStringLiteral("%1 characters, more than the %2 a constraint may have").arg(text.size()).arg(kMaxExpressionLength));
        // muparser misreads a NUL (`d \0= 1` was accepted as `d`, the rest dropped unseen); a tab is
        // white space, the other control characters muparser refuses too, less clearly.
        for (qsizetype i = 0; i < text.size(); ++i)
            if (text[i].unicode() < 0x20 && text[i] != QLatin1Char('\t'))
                return fail(QStringLiteral("control character \\x%1 at position %2").arg(uint(text[i].unicode()), 2, 16, QLatin1Char('0')).arg(i + 1));
        QString rewriteError;
        const QString rewritten = rewriteExpression(text, stringIds, &rewriteError);
        if (!rewriteError.isEmpty())
            return fail(rewriteError);
        // muparser's `=` assigns (and the assignment's value, non-zero, counts as true); string
        // literals are numbers by now, so any lone '=' left is one.
        static const QRegularExpression assignment(QStringLiteral("(?<![=!<>])=(?!=)"));
        if (assignment.match(rewritten).hasMatch())
            return fail(QStringLiteral("'=' would assign a value, not compare; write '=='"));

        auto parser = std::make_unique<mu::Parser>();
        try {
            parser->DefineOprt("%", opModulo, mu::prMUL_DIV, mu::oaLEFT, true);
            parser->DefineInfixOprt("!", opNot);
            parser->DefineFun("floor", fnFloor);
            parser->DefineFun("ceil", fnCeil);
            for (const char* t : {"true", "True"})
                parser->DefineConst(t, 1.0);
            for (const char* f : {"false", "False"})
                parser->DefineConst(f, 0.0);
            for (int i = 0; i < d.dims; ++i)
                parser->DefineVar(parameters[i].name.toStdString(), &d.vars[size_t(i)]);
            d.unknown.names.clear();
            parser->SetVarFactory(collectUnknown, &d.unknown);
            parser->SetExpr(rewritten.toStdString());
            std::feclearexcept(kUndefined);
            const auto used = parser->GetUsedVar(); // parses the expression, folding constants
            if (!d.unknown.names.isEmpty())
                return fail(QStringLiteral("unknown parameter '%1'").arg(clip(d.unknown.names.first())));
            if (std::fetestexcept(kUndefined))
                return fail(QStringLiteral("divides by zero or has no defined value among its constants"));
            // muparser reads `a > 1, b < 2` as two expressions and Eval() answers the last one, so
            // the first would silently constrain nothing.
            if (parser->GetNumResults() != 1)
                return fail(QStringLiteral("%1 expressions separated by ','; join them with 'and'").arg(parser->GetNumResults()));
            int deepest = -1;
            for (const auto& [name, ptr] : used) {
                Q_UNUSED(ptr);
                deepest = std::max(deepest, level.value(QString::fromStdString(name), -1));
            }
            if (deepest < 0)
                d.constantParsers.push_back(int(d.parsers.size()));
            else
                d.byLevel[size_t(deepest)].push_back(int(d.parsers.size()));
            d.parsers.push_back(std::move(parser));
        } catch (const mu::Parser::exception_type& e) {
            return fail(clip(QString::fromStdString(e.GetMsg()), 200));
        }
    }
    return set;
}

bool ConstraintSet::accepts(const std::vector<int>& valueIndices) const
{
    const Impl& d = *m_impl;
    for (int i = 0; i < d.dims; ++i)
        d.vars[size_t(i)] = d.numeric[size_t(i)][size_t(valueIndices[size_t(i)])];
    try {
        for (const auto& p : d.parsers) {
            std::feclearexcept(kUndefined);
            if (p->Eval() == 0.0 || std::fetestexcept(kUndefined))
                return false; // an undefined value satisfies nothing
        }
    } catch (const mu::Parser::exception_type&) {
        return false;
    }
    return true;
}

Result<void> ConstraintSet::enumerateImpl(bool (*visit)(void*, quint64), void* context, const EnumerationLimits& limits) const
{
    // No check per evaluation on the fast path: the exception flags are sticky, so one test at
    // the end tells whether any evaluation was undefined; only then is the walk repeated, checking
    // each one, to name the constraint and the combination.
    std::feclearexcept(kUndefined);
    auto walked = walk(visit, context, false, limits);
    if (!walked || !std::fetestexcept(kUndefined))
        return walked;
    auto diagnosed = walk([](void*, quint64) { return true; }, nullptr, true, limits);
    return diagnosed ? walked : diagnosed; // nothing found: the visitor raised the flag, not a constraint
}

Result<void> ConstraintSet::walk(bool (*visit)(void*, quint64), void* context, bool diagnose,
                                 const EnumerationLimits& limits) const
{
    const Impl& d = *m_impl;
    // The combination being evaluated (levels 0..level), for the error.
    auto undefined = [&](int c, int level, const std::vector<int>& idx) {
        QStringList values;
        for (int i = 0; i <= level && i < d.dims; ++i)
            values.append(QStringLiteral("%1 = %2").arg(d.parameters[i].name, jsonText(d.parameters[i].values[idx[size_t(i)]])));
        return Error{QStringLiteral("constraint %1 '%2': divides by zero or has no defined value (0/0, sqrt or log of a negative)%3")
                         .arg(c + 1).arg(clip(d.texts.value(c)), values.isEmpty() ? QString() : QStringLiteral(" at ") + values.join(QStringLiteral(", ")))};
    };
    auto eval = [&](int c, bool& undefinedValue) {
        if (diagnose)
            std::feclearexcept(kUndefined);
        const double v = d.parsers[size_t(c)]->Eval();
        undefinedValue = diagnose && std::fetestexcept(kUndefined);
        return v;
    };
    bool bad = false;
    if (d.dims == 0)
        return {};
    // Every step of the walk counts, except one that ends in a valid configuration: a late
    // constraint over a product of 10^12 would otherwise be evaluated 10^12 times.
    quint64 examined = 0, steps = 0;
    constexpr quint64 kCheckEvery = 1 << 14;
    try {
        for (int c : d.constantParsers) {
            const double v = eval(c, bad);
            if (bad)
                return undefined(c, -1, {});
            if (v == 0.0)
                return {};
        }
        // Iterative depth-first walk; stride[i] = product of radices after i.
        std::vector<quint64> stride(size_t(d.dims), 1);
        for (int i = d.dims - 2; i >= 0; --i)
            stride[size_t(i)] = stride[size_t(i + 1)] * quint64(d.radix[size_t(i + 1)]);
        std::vector<int> idx(size_t(d.dims), -1);
        std::vector<quint64> base(size_t(d.dims) + 1, 0);
        int levelNow = 0;
        while (levelNow >= 0) {
            const size_t L = size_t(levelNow);
            if (++idx[L] >= d.radix[L]) {
                idx[L] = -1;
                --levelNow;
                continue;
            }
            if (++steps % kCheckEvery == 0 && limits.interrupt && limits.interrupt->load(std::memory_order_relaxed))
                return Error{QStringLiteral("interrupted while enumerating the space")};
            d.vars[L] = d.numeric[L][size_t(idx[L])];
            bool pass = true;
            for (int c : d.byLevel[L]) {
                const double v = eval(c, bad);
                if (bad)
                    return undefined(c, levelNow, idx);
                if (v == 0.0) {
                    pass = false;
                    break;
                }
            }
            if (pass && levelNow == d.dims - 1) {
                // A valid configuration: their number is bounded by the visitor, not by this limit.
                if (!visit(context, base[L] + quint64(idx[L]) * stride[L]))
                    return {};
                continue;
            }
            if (++examined > limits.maxExamined)
                return Error{QStringLiteral("enumerating the space examined more than %1 combinations that are not valid "
                                            "configurations (the limit); constrain the first parameters, or narrow their values")
                                 .arg(limits.maxExamined)};
            if (pass) {
                base[L + 1] = base[L] + quint64(idx[L]) * stride[L];
                ++levelNow;
            }
        }
    } catch (const mu::Parser::exception_type& e) {
        return Error{QStringLiteral("constraint evaluation failed: %1")
                         .arg(QString::fromStdString(e.GetMsg()))};
    }
    return {};
}

} // namespace dv

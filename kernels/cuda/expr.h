// A small expression evaluator for the manifests of the native worker: launch geometry, buffer
// sizes, tolerances, macros and constraints are expressions over the kernel's parameters and
// problem parameters.
//
//   expr    := cond ['?' expr ':' expr]
//   cond    := and {'||' and}          and := cmp {'&&' cmp}
//   cmp     := sum [('<'|'<='|'>'|'>='|'=='|'!=') sum]
//   sum     := product {('+'|'-') product}
//   product := unary {('*'|'/'|'%') unary}
//   unary   := ('-'|'+'|'!') unary | primary
//   primary := NUMBER | NAME | NAME '(' expr {',' expr} ')' | '(' expr ')'
//
// Values are doubles ('/' divides exactly, '%' is the floating-point remainder, comparisons and
// logic give 1 or 0), as in the space format's constraints (docs/space-format.md), so the
// constraints of a manifest mean the same here and in the engine. Functions: min, max, floor,
// ceil, abs and cdiv(a, b) (= ceil(a / b)).
#pragma once

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dv::expr {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Looks a name up; false when unknown.
using Lookup = std::function<bool(const std::string& name, double& value)>;

class Parser {
public:
    Parser(const std::string& text, const Lookup& lookup)
        : m_text(text)
        , m_lookup(lookup)
    {}

    double run()
    {
        const double v = expression();
        skip();
        if (m_pos != m_text.size())
            fail("unexpected '" + m_text.substr(m_pos, 1) + "'");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& why) const
    {
        throw Error("expression '" + m_text + "' at " + std::to_string(m_pos + 1) + ": " + why);
    }
    void skip()
    {
        while (m_pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_pos])))
            ++m_pos;
    }
    bool eat(const char* token)
    {
        skip();
        const std::string t = token;
        if (m_text.compare(m_pos, t.size(), t) != 0)
            return false;
        // "<" must not match the start of "<=", "!" not the start of "!=", "=" never alone
        if (t.size() == 1 && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '=' && (t == "<" || t == ">" || t == "!"))
            return false;
        m_pos += t.size();
        return true;
    }
    double expression()
    {
        const double c = logicalOr();
        if (eat("?")) {
            const double a = expression();
            if (!eat(":"))
                fail("expected ':'");
            const double b = expression();
            return c != 0.0 ? a : b;
        }
        return c;
    }
    double logicalOr()
    {
        double v = logicalAnd();
        while (eat("||")) {
            const double r = logicalAnd();
            v = (v != 0.0 || r != 0.0) ? 1.0 : 0.0;
        }
        return v;
    }
    double logicalAnd()
    {
        double v = comparison();
        while (eat("&&")) {
            const double r = comparison();
            v = (v != 0.0 && r != 0.0) ? 1.0 : 0.0;
        }
        return v;
    }
    double comparison()
    {
        const double a = sum();
        if (eat("<="))
            return a <= sum() ? 1.0 : 0.0;
        if (eat(">="))
            return a >= sum() ? 1.0 : 0.0;
        if (eat("=="))
            return a == sum() ? 1.0 : 0.0;
        if (eat("!="))
            return a != sum() ? 1.0 : 0.0;
        if (eat("<"))
            return a < sum() ? 1.0 : 0.0;
        if (eat(">"))
            return a > sum() ? 1.0 : 0.0;
        return a;
    }
    double sum()
    {
        double v = product();
        for (;;) {
            if (eat("+"))
                v += product();
            else if (eat("-"))
                v -= product();
            else
                return v;
        }
    }
    double product()
    {
        double v = unary();
        for (;;) {
            if (eat("*")) {
                v *= unary();
            } else if (eat("/")) {
                const double d = unary();
                if (d == 0.0)
                    fail("division by zero");
                v /= d;
            } else if (eat("%")) {
                const double d = unary();
                if (d == 0.0)
                    fail("remainder by zero");
                v = std::fmod(v, d);
            } else {
                return v;
            }
        }
    }
    double unary()
    {
        if (eat("-"))
            return -unary();
        if (eat("+"))
            return unary();
        if (eat("!"))
            return unary() == 0.0 ? 1.0 : 0.0;
        return primary();
    }
    double primary()
    {
        skip();
        if (m_pos >= m_text.size())
            fail("unexpected end");
        if (eat("(")) {
            const double v = expression();
            if (!eat(")"))
                fail("expected ')'");
            return v;
        }
        const char c = m_text[m_pos];
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            const char* begin = m_text.c_str() + m_pos;
            char* end = nullptr;
            const double v = std::strtod(begin, &end);
            if (end == begin)
                fail("bad number");
            m_pos += std::size_t(end - begin);
            return v;
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            const std::size_t start = m_pos;
            while (m_pos < m_text.size() && (std::isalnum(static_cast<unsigned char>(m_text[m_pos])) || m_text[m_pos] == '_'))
                ++m_pos;
            const std::string name = m_text.substr(start, m_pos - start);
            if (eat("("))
                return call(name);
            double v = 0.0;
            if (!m_lookup(name, v))
                fail("unknown name '" + name + "'");
            return v;
        }
        fail("unexpected '" + std::string(1, c) + "'");
    }
    double call(const std::string& name)
    {
        std::vector<double> args;
        if (!eat(")")) {
            do
                args.push_back(expression());
            while (eat(","));
            if (!eat(")"))
                fail("expected ')' after the arguments of " + name);
        }
        auto need = [&](std::size_t n) {
            if (args.size() != n)
                fail(name + " takes " + std::to_string(n) + " argument(s)");
        };
        if (name == "min" || name == "max") {
            if (args.empty())
                fail(name + " needs arguments");
            double v = args[0];
            for (double a : args)
                v = name == "min" ? std::fmin(v, a) : std::fmax(v, a);
            return v;
        }
        if (name == "cdiv") {
            need(2);
            if (args[1] == 0.0)
                fail("cdiv by zero");
            return std::ceil(args[0] / args[1]);
        }
        need(1);
        if (name == "floor")
            return std::floor(args[0]);
        if (name == "ceil")
            return std::ceil(args[0]);
        if (name == "abs")
            return std::fabs(args[0]);
        fail("unknown function '" + name + "'");
    }

    const std::string& m_text;
    const Lookup& m_lookup;
    std::size_t m_pos = 0;
};

inline double evaluate(const std::string& text, const Lookup& lookup)
{
    return Parser(text, lookup).run();
}

} // namespace dv::expr

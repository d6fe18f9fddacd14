#include "manifest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

namespace dv {

namespace {

const std::set<std::string> kTopFields = {"name",   "description", "source",    "entry",     "parameters",
                                          "constraints", "problem", "problem_constraints", "buffers",
                                          "launch", "reference",   "check",     "macros",    "notes"};
const std::set<std::string> kTypes = {"f32", "f64", "u32"};
const std::set<std::string> kInits = {"uniform", "int", "poison", "zero"};

struct Reader {
    std::string file;
    [[noreturn]] void fail(const std::string& field, const std::string& why) const
    {
        throw ManifestError(file + ": " + field + ": " + why);
    }
    const json& get(const json& object, const std::string& key, const std::string& where) const
    {
        if (!object.is_object() || !object.contains(key))
            fail(where.empty() ? key : where + "." + key, "missing");
        return object[key];
    }
    std::string string(const json& object, const std::string& key, const std::string& where) const
    {
        const json& v = get(object, key, where);
        if (v.is_number_integer())
            return std::to_string(v.get<std::int64_t>());
        if (!v.is_string() || v.get<std::string>().empty())
            fail(where.empty() ? key : where + "." + key, "expected a non-empty string, got " + v.dump());
        return v.get<std::string>();
    }
    std::vector<std::string> strings(const json& object, const std::string& key, const std::string& where,
                                     std::size_t size = 0, bool optional = false) const
    {
        std::vector<std::string> out;
        const std::string field = where.empty() ? key : where + "." + key;
        if (optional && (!object.contains(key)))
            return out;
        const json& v = get(object, key, where);
        if (!v.is_array() || (size && v.size() != size))
            fail(field, size ? "expected an array of " + std::to_string(size) + " expressions" : "expected an array");
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i].is_number_integer())
                out.push_back(std::to_string(v[i].get<std::int64_t>()));
            else if (v[i].is_string() && !v[i].get<std::string>().empty())
                out.push_back(v[i].get<std::string>());
            else
                fail(field + "[" + std::to_string(i) + "]", "expected an expression (string), got " + v[i].dump());
        }
        return out;
    }
};

std::string hex(std::uint64_t h, int digits)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::string(buf + 16 - digits);
}

} // namespace

std::uint64_t fnv1a(const std::string& text, std::uint64_t h)
{
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

double evaluate(const std::string& text, const json& config, const json& problem)
{
    return expr::evaluate(text, [&](const std::string& name, double& value) {
        for (const json* scope : {&config, &problem}) {
            if (scope->is_object() && scope->contains(name) && (*scope)[name].is_number()) {
                value = (*scope)[name].get<double>();
                return true;
            }
        }
        return false;
    });
}

std::int64_t evaluateCount(const std::string& text, const json& config, const json& problem, const std::string& what)
{
    const double v = evaluate(text, config, problem);
    if (!(v >= 0.0) || v != std::floor(v) || v > 9.0e15)
        throw expr::Error(what + " '" + text + "' = " + std::to_string(v) + ": expected a non-negative integer");
    return static_cast<std::int64_t>(v);
}

json Manifest::space() const
{
    json params = json::array();
    for (const Parameter& p : parameters)
        params.push_back({{"name", p.name}, {"values", p.values}});
    return {{"name", name}, {"description", description}, {"parameters", params}, {"constraints", constraints}};
}

const BufferSpec* Manifest::buffer(const std::string& bufferName) const
{
    for (const BufferSpec& b : buffers) {
        if (b.name == bufferName)
            return &b;
    }
    return nullptr;
}

std::string Manifest::invalidReason(const json& config) const
{
    if (!config.is_object())
        return "the configuration is not an object";
    for (const Parameter& p : parameters) {
        if (!config.contains(p.name))
            return "missing parameter " + p.name;
        const json& v = config[p.name];
        if (!v.is_number_integer() || std::find(p.values.begin(), p.values.end(), v.get<std::int64_t>()) == p.values.end())
            return "value " + v.dump() + " of " + p.name + " is not in the space";
    }
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (std::none_of(parameters.begin(), parameters.end(), [&](const Parameter& p) { return p.name == it.key(); }))
            return "unknown parameter " + it.key();
    }
    for (const std::string& c : constraints) {
        if (evaluate(c, config, json::object()) == 0.0)
            return "violates " + c;
    }
    return {};
}

std::string Manifest::badProblemReason(const json& p) const
{
    for (const std::string& c : problemConstraints) {
        if (evaluate(c, json::object(), p) == 0.0)
            return "the problem " + p.dump() + " violates " + c;
    }
    return {};
}

json Manifest::completeProblem(const json& request) const
{
    json p = problem;
    if (!request.is_object())
        throw ManifestError("problem: expected an object, got " + request.dump());
    for (auto it = request.begin(); it != request.end(); ++it) {
        if (!problem.contains(it.key())) {
            std::string known;
            for (auto k = problem.begin(); k != problem.end(); ++k)
                known += (known.empty() ? "" : ", ") + k.key();
            throw ManifestError("problem." + it.key() + ": unknown problem parameter of " + name + " (it has: " + known + ")");
        }
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1)
            throw ManifestError("problem." + it.key() + ": expected an integer >= 1, got " + it->dump());
        p[it.key()] = *it;
    }
    return p;
}

std::vector<json> Manifest::enumerate() const
{
    std::vector<json> out;
    json config = json::object();
    std::function<void(std::size_t)> walk = [&](std::size_t i) {
        if (i == parameters.size()) {
            if (invalidReason(config).empty())
                out.push_back(config);
            return;
        }
        for (std::int64_t v : parameters[i].values) {
            config[parameters[i].name] = v;
            walk(i + 1);
        }
        config.erase(parameters[i].name);
    };
    walk(0);
    return out;
}

std::vector<std::string> kernelNames(const SourceTree& tree)
{
    std::vector<std::string> names;
    const std::string suffix = "/manifest.json";
    for (const auto& [path, text] : tree) {
        (void)text;
        if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0
            && path.find('/') == path.size() - suffix.size())
            names.push_back(path.substr(0, path.size() - suffix.size()));
    }
    std::sort(names.begin(), names.end());
    return names;
}

Manifest readManifest(const SourceTree& tree, const std::string& kernel)
{
    const std::string path = kernel + "/manifest.json";
    const auto found = tree.find(path);
    if (found == tree.end())
        throw ManifestError(path + ": no such manifest");
    Reader r{"kernels/cuda/" + path};
    json doc = json::parse(found->second, nullptr, false);
    if (doc.is_discarded())
        throw ManifestError(r.file + ": invalid JSON");
    if (!doc.is_object())
        r.fail("(top)", "expected an object");
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (!kTopFields.count(it.key()))
            r.fail(it.key(), "unknown field");
    }
    Manifest m;
    m.name = r.string(doc, "name", "");
    if (m.name != kernel)
        r.fail("name", "'" + m.name + "' differs from the directory name '" + kernel + "'");
    m.description = doc.value("description", std::string());

    const json& params = r.get(doc, "parameters", "");
    if (!params.is_array() || params.empty())
        r.fail("parameters", "expected a non-empty array");
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string where = "parameters[" + std::to_string(i) + "]";
        Parameter p;
        p.name = r.string(params[i], "name", where);
        const json& values = r.get(params[i], "values", where);
        if (!values.is_array() || values.empty())
            r.fail(where + ".values", "expected a non-empty array of integers");
        for (const json& v : values) {
            if (!v.is_number_integer())
                r.fail(where + ".values", "expected integers (they become macros), got " + v.dump());
            p.values.push_back(v.get<std::int64_t>());
        }
        m.parameters.push_back(p);
    }
    m.constraints = r.strings(doc, "constraints", "", 0, true);

    m.problem = r.get(doc, "problem", "");
    if (!m.problem.is_object() || m.problem.empty())
        r.fail("problem", "expected a non-empty object of integer defaults");
    for (auto it = m.problem.begin(); it != m.problem.end(); ++it) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1)
            r.fail("problem." + it.key(), "expected an integer >= 1");
        for (const Parameter& p : m.parameters) {
            if (p.name == it.key())
                r.fail("problem." + it.key(), "is also a tunable parameter");
        }
    }
    m.problemConstraints = r.strings(doc, "problem_constraints", "", 0, true);

    const json& buffers = r.get(doc, "buffers", "");
    if (!buffers.is_array() || buffers.empty())
        r.fail("buffers", "expected a non-empty array");
    for (std::size_t i = 0; i < buffers.size(); ++i) {
        const std::string where = "buffers[" + std::to_string(i) + "]";
        BufferSpec b{r.string(buffers[i], "name", where), r.string(buffers[i], "type", where),
                     r.string(buffers[i], "elements", where), r.string(buffers[i], "init", where)};
        if (!kTypes.count(b.type))
            r.fail(where + ".type", "expected f32, f64 or u32");
        if (!kInits.count(b.init))
            r.fail(where + ".init", "expected uniform, int, poison or zero");
        if ((b.init == "uniform" || b.init == "int") && b.type != "f32")
            r.fail(where + ".init", "random inputs are f32");
        if (m.buffer(b.name))
            r.fail(where + ".name", "duplicate buffer " + b.name);
        m.buffers.push_back(b);
    }
    if (doc.contains("macros")) {
        const json& macros = doc["macros"];
        if (!macros.is_object())
            r.fail("macros", "expected an object of name: expression");
        for (auto it = macros.begin(); it != macros.end(); ++it) {
            if (!it->is_string())
                r.fail("macros." + it.key(), "expected an expression (string)");
            m.macros[it.key()] = it->get<std::string>();
        }
    }

    auto launch = [&](const json& object, const std::string& where, bool withSource) {
        LaunchSpec l;
        if (withSource) {
            l.source = r.string(object, "source", where);
            l.entry = r.string(object, "entry", where);
        }
        const auto grid = r.strings(object, "grid", where, 3);
        const auto block = r.strings(object, "block", where, 3);
        for (int d = 0; d < 3; ++d) {
            l.grid[d] = grid[std::size_t(d)];
            l.block[d] = block[std::size_t(d)];
        }
        if (object.contains("shared_bytes"))
            l.sharedBytes = r.string(object, "shared_bytes", where);
        l.arguments = r.strings(object, "arguments", where);
        return l;
    };
    m.launch = launch(r.get(doc, "launch", ""), "launch", false);
    m.launch.source = r.string(doc, "source", "");
    m.launch.entry = r.string(doc, "entry", "");
    const json& ref = r.get(doc, "reference", "");
    if (r.string(ref, "where", "reference") != "gpu")
        r.fail("reference.where", "only \"gpu\" (a naive reference kernel) is supported");
    m.reference = launch(ref, "reference", true);

    const json& check = r.get(doc, "check", "");
    m.checkOutput = r.string(check, "output", "check");
    m.checkReference = r.string(check, "reference", "check");
    m.atol = r.string(check, "atol", "check");
    m.rtol = r.string(check, "rtol", "check");
    for (const std::string* b : {&m.checkOutput, &m.checkReference}) {
        if (!m.buffer(*b))
            r.fail("check", "unknown buffer " + *b);
    }

    for (const LaunchSpec* l : {&m.launch, &m.reference}) {
        const std::string file = kernel + "/" + l->source;
        const auto source = tree.find(file);
        if (source == tree.end())
            r.fail(l == &m.launch ? "source" : "reference.source", "no file kernels/cuda/" + file);
        (l == &m.launch ? m.sourceText : m.referenceText) = source->second;
    }

    // Every expression must evaluate over the default problem and the first valid configuration.
    try {
        const std::string bad = m.badProblemReason(m.problem);
        if (!bad.empty())
            r.fail("problem", bad);
        const auto configs = m.enumerate();
        if (configs.empty())
            r.fail("constraints", "no configuration of the space satisfies them");
        const json& c = configs.front();
        for (const BufferSpec& b : m.buffers)
            evaluateCount(b.elements, c, m.problem, "buffer " + b.name + " elements");
        for (const LaunchSpec* l : {&m.launch, &m.reference}) {
            const json& cc = l == &m.launch ? c : json::object();
            for (int d = 0; d < 3; ++d) {
                evaluateCount(l->grid[d], cc, m.problem, "grid");
                evaluateCount(l->block[d], cc, m.problem, "block");
            }
            evaluateCount(l->sharedBytes, cc, m.problem, "shared_bytes");
            for (const std::string& a : l->arguments) {
                if (!m.buffer(a))
                    evaluateCount(a, cc, m.problem, "argument");
            }
        }
        for (const auto& [macro, text] : m.macros)
            evaluate(text, c, m.problem);
        evaluate(m.atol, json::object(), m.problem);
        evaluate(m.rtol, json::object(), m.problem);
    } catch (const expr::Error& e) {
        r.fail("(expressions)", e.what());
    }

    std::uint64_t h = fnv1a(found->second);
    h = fnv1a(m.sourceText, h);
    h = fnv1a(m.referenceText, h);
    for (const char* common : {"common/prelude.cuh", "common/support.cu"}) {
        const auto f = tree.find(common);
        if (f != tree.end())
            h = fnv1a(f->second, h);
    }
    m.identity = m.launch.source + "@" + hex(h, 8);
    return m;
}

} // namespace dv

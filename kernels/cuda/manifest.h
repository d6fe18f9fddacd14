// Kernel manifests of the native worker (kernels/cuda/<name>/manifest.json): the space, the
// problem, the buffers, the launch geometry and the reference, all checked when read.
#pragma once

#include "expr.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dv {

using json = nlohmann::json;

/// A kernel source tree: file path relative to kernels/cuda -> contents.
using SourceTree = std::map<std::string, std::string>;

struct ManifestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct BufferSpec {
    std::string name;
    std::string type;     // f32, f64, u32
    std::string elements; // expression over problem and parameters
    std::string init;     // uniform, int, poison, zero
    std::size_t elementBytes() const { return type == "f64" ? 8 : 4; }
};

struct LaunchSpec {
    std::string source;
    std::string entry;
    std::string grid[3];
    std::string block[3];
    std::string sharedBytes = "0";
    std::vector<std::string> arguments; // buffer names or integer expressions
};

struct Parameter {
    std::string name;
    std::vector<std::int64_t> values;
};

struct Manifest {
    std::string name;
    std::string description;
    std::vector<Parameter> parameters;
    std::vector<std::string> constraints;
    json problem;                           // defaults, object of integers
    std::vector<std::string> problemConstraints;
    std::vector<BufferSpec> buffers;
    std::map<std::string, std::string> macros; // extra macros: name -> expression
    LaunchSpec launch;
    LaunchSpec reference;
    std::string checkOutput, checkReference, atol, rtol;
    std::string identity;                   // "<source>@<hash of manifest and sources>"
    std::string sourceText;                 // the kernel's source
    std::string referenceText;              // the reference's source

    /// The space in the shape of docs/space-format.md.
    json space() const;
    const BufferSpec* buffer(const std::string& name) const;
    /// Why `config` is not a member of the space, or "".
    std::string invalidReason(const json& config) const;
    /// Why `problem` (defaults filled in) cannot be run, or "".
    std::string badProblemReason(const json& problem) const;
    /// The defaults overridden by `request`; throws ManifestError naming the bad field.
    json completeProblem(const json& request) const;
    /// Every valid configuration, in enumeration order (first parameter most significant).
    std::vector<json> enumerate() const;
};

/// Evaluates `text` over a configuration and a problem (both objects of numbers).
double evaluate(const std::string& text, const json& config, const json& problem);
/// The same, for a value that must be a non-negative integer (sizes, geometry).
std::int64_t evaluateCount(const std::string& text, const json& config, const json& problem, const std::string& what);

/// Reads `<name>/manifest.json` from the tree and checks it completely (every expression is
/// evaluated over the default problem and the first valid configuration).
Manifest readManifest(const SourceTree& tree, const std::string& name);
/// The kernel names in the tree (directories holding manifest.json), sorted.
std::vector<std::string> kernelNames(const SourceTree& tree);

std::uint64_t fnv1a(const std::string& text, std::uint64_t h = 1469598103934665603ull);

} // namespace dv

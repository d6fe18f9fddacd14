#pragma once

// What the native GPU worker's parts share: its name and versions, the messages it prints on
// stderr, its options, and the kernel sources (built in, or read from --kernels-dir).

#include "manifest.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include <dirent.h>
#include <sys/stat.h>

#if defined(DEJAVU_HIP)
#define DV_PROGRAM "dejavu-hip-worker"
#else
#define DV_PROGRAM "dejavu-cuda-worker"
#endif

namespace dv {
struct EmbeddedFile {
    const char* path;
    const unsigned char* data;
    unsigned long size;
};
} // namespace dv
extern const dv::EmbeddedFile dvEmbeddedFiles[];
extern const unsigned long dvEmbeddedFileCount;

namespace dv {

using json = nlohmann::json;

constexpr int kProtocolVersion = 1;
constexpr const char* kWorkerVersion = "0.1.0";

inline void say(const std::string& text)
{
    std::cerr << DV_PROGRAM ": " << text << '\n' << std::flush;
}

// ---------------------------------------------------------------------------------------------

struct Options {
    std::multimap<int, json> faults; // DV_FAULT value -> partial configuration
    std::string kernelsDir;
    int compileThreads = -1;
    bool precompile = false;
    bool capabilities = true; // false: a hello without "capabilities", for engines older than `prepare`
};

inline SourceTree readTree(const std::string& dir)
{
    SourceTree tree;
    if (dir.empty()) {
        for (unsigned long i = 0; i < dvEmbeddedFileCount; ++i)
            tree[dvEmbeddedFiles[i].path] = std::string(reinterpret_cast<const char*>(dvEmbeddedFiles[i].data), dvEmbeddedFiles[i].size);
        return tree;
    }
    DIR* top = opendir(dir.c_str());
    if (!top)
        throw ManifestError(dir + ": cannot open the kernels directory");
    while (dirent* sub = readdir(top)) {
        const std::string name = sub->d_name;
        if (name == "." || name == "..")
            continue;
        DIR* inner = opendir((dir + "/" + name).c_str());
        if (!inner)
            continue;
        while (dirent* f = readdir(inner)) {
            const std::string file = f->d_name;
            const bool wanted = file == "manifest.json" || (file.size() > 3 && (file.compare(file.size() - 3, 3, ".cu") == 0
                                                                                 || file.compare(file.size() - 4, 4, ".cuh") == 0));
            if (!wanted)
                continue;
            std::ifstream in(dir + "/" + name + "/" + file, std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            tree[name + "/" + file] = text.str();
        }
        closedir(inner);
    }
    closedir(top);
    return tree;
}

} // namespace dv

// The fuzz targets without libFuzzer: runs every file below the directories (or the files) given on
// the command line through LLVMFuzzerTestOneInput, in a stable order. Built by the normal compiler
// and registered with ctest, so that CI replays the seed corpus and every finding (fuzz/regressions)
// without clang. A crash, an abort from a broken invariant or a hang fails the test.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR|FILE... (runs each file through the fuzz target)\n", argv[0]);
        return 2;
    }
    std::size_t total = 0;
    for (int i = 1; i < argc; ++i) {
        // A directory that does not exist holds no input (fuzz/regressions/<target> appears with the first finding).
        std::error_code ec;
        std::vector<fs::path> files;
        if (fs::is_directory(argv[i], ec)) {
            for (const auto& e : fs::recursive_directory_iterator(argv[i]))
                if (e.is_regular_file())
                    files.push_back(e.path());
        } else if (fs::is_regular_file(argv[i], ec)) {
            files.emplace_back(argv[i]);
        }
        std::sort(files.begin(), files.end());
        for (const fs::path& f : files) {
            std::ifstream in(f, std::ios::binary);
            const std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (!in.eof() && in.fail()) {
                std::fprintf(stderr, "%s: cannot read\n", f.c_str());
                return 1;
            }
            std::fprintf(stderr, "%s (%zu bytes)\n", f.c_str(), data.size());
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
        }
        std::printf("%s: %zu inputs\n", argv[i], files.size());
        total += files.size();
    }
    if (total == 0) {
        std::fprintf(stderr, "no input found: the seed corpus is missing\n");
        return 1;
    }
    std::printf("ran %zu inputs\n", total);
    return 0;
}

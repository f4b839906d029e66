// Run in the cc images by tests/runtime/run: needs libstdc++ (strings, streams, exceptions,
// threads) and libgomp (an OpenMP parallel reduction) from the image.
#include <omp.h>

#include <iostream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

int main() {
    std::vector<long> values(1000000);
    std::iota(values.begin(), values.end(), 1L);
    long sum = 0;
    int threads = 0;
#pragma omp parallel for reduction(+ : sum) num_threads(4)
    for (long i = 0; i < static_cast<long>(values.size()); i++) {
        if (i == 0) threads = omp_get_num_threads();
        sum += values[i];
    }
    bool caught = false;
    try {
        throw std::runtime_error("thrown");
    } catch (const std::exception& e) {
        caught = std::string(e.what()) == "thrown";
    }
    std::ostringstream out;
    out << "sum " << sum << " threads " << threads;
    const bool ok = sum == 500000500000L && threads == 4 && caught;
    std::cout << (ok ? "ok: " : "FAIL: ") << "libstdc++ and libgomp: " << out.str()
              << (caught ? ", exception caught" : ", exception lost") << std::endl;
    return ok ? 0 : 1;
}

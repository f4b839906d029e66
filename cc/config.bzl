"""The cc images: base plus the C++ and OpenMP runtimes."""

CC_PACKAGES = ["libgomp1", "libstdc++6", "libgcc-s1", "gcc-12-base"]

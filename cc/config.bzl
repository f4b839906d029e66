"""The cc images: base plus the C++ and OpenMP runtimes."""

# Distribution -> packages added on top of base (each its own layer, in this order).
CC_PACKAGES = {
    "debian12": ["libgomp1", "libstdc++6", "libgcc-s1", "gcc-12-base"],
    "debian13": ["libgomp1", "libstdc++6", "libgcc-s1", "gcc-14-base"],
}

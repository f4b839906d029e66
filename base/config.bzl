"""The base images: static plus the C library (base-nossl), plus OpenSSL (base)."""

# Image name -> packages added on top of static (each its own layer, in this order). trixie's
# libssl3t64 also needs zlib1g, libzstd1 and openssl-provider-legacy (the lock's closure).
BASE_FAMILIES = {
    "nossl_debian12": ["libc6"],
    "debian12": ["libc6", "libssl3"],
    "nossl_debian13": ["libc6"],
    "debian13": ["libc6", "zlib1g", "libzstd1", "libssl3t64", "openssl-provider-legacy"],
}

def family_distribution(family):
    """The distribution (a key of //static:config.bzl's DISTRIBUTIONS) of a base family."""
    return family.removeprefix("nossl_")

"""The base images: static plus the C library (base-nossl), plus OpenSSL (base)."""

# Image name -> packages added on top of static (each its own layer).
BASE_FAMILIES = {
    "nossl_debian12": ["libc6"],
    "debian12": ["libc6", "libssl3"],
}

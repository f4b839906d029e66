"""Debian architectures and the OCI platforms of their images."""

# Debian architecture -> (OCI architecture, OCI variant or "").
OCI_PLATFORMS = {
    "amd64": ("amd64", ""),
    "arm64": ("arm64", "v8"),
    "armhf": ("arm", "v7"),
    "i386": ("386", ""),
    "ppc64el": ("ppc64le", ""),
    "riscv64": ("riscv64", ""),
    "s390x": ("s390x", ""),
}

def oci_platform(debian_arch):
    """The (architecture, variant) of an image for a Debian architecture."""
    if debian_arch not in OCI_PLATFORMS:
        fail("unknown Debian architecture %r; known: %s" % (debian_arch, ", ".join(OCI_PLATFORMS)))
    return OCI_PLATFORMS[debian_arch]

# Debian architecture -> the @platforms//cpu values of a Linux target platform whose images
# it makes (`@platforms//cpu:arm64` is an alias of aarch64 and `arm` of aarch32, so a
# platform declared with either matches).
PLATFORM_CPUS = {
    "amd64": ["x86_64"],
    "arm64": ["aarch64"],
    "armhf": ["armv7", "aarch32"],
    "i386": ["i386", "x86_32"],
    "ppc64el": ["ppc64le"],
    "riscv64": ["riscv64"],
    "s390x": ["s390x"],
}

def platform_setting(cpu):
    """The config_setting (//private/platforms) matching a Linux target platform with `cpu`."""
    return Label("//private/platforms:linux_" + cpu)

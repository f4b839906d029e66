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

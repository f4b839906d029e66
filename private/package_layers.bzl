"""package_layers: a deb_layer per Debian package and architecture of each distribution."""

load("//distroless:defs.bzl", "deb_layer")
load("//static:config.bzl", "DISTRIBUTIONS")

def package_layers(name, packages, exclude = {}):
    """Declares `<layer_prefix><package>_<arch>` for every architecture of each distribution.

    Args:
      name: unused (the layers are named after their packages); macros take one by convention.
      packages: distribution (a key of DISTRIBUTIONS) -> Debian package names; the .debs come
        from the distribution's lock repository, `@<distribution>`.
      exclude: package -> paths left out of its layers.
    """
    for dist, names in packages.items():
        d = DISTRIBUTIONS[dist]
        for package in names:
            for arch in d["architectures"]:
                deb_layer(
                    name = "%s%s_%s" % (d["layer_prefix"], package, arch),
                    debs = ["@%s//%s:%s" % (dist, package, arch)],
                    exclude = exclude.get(package, []),
                    merged_usr = d["merged_usr"],
                )

"""runtime_images: a language runtime's Debian packages on a family image, in every variant."""

load("//distroless:defs.bzl", "deb_layer", "distroless_image", "image_test", "ld_so_cache")
load("//private:deb_closure_test.bzl", "deb_closure_test")
load("//private:doc_files.bzl", "DOC_EXCLUDE")
load("//private:platforms.bzl", "oci_platform")
load("//static:config.bzl", "DEBUG_ENV", "DISTRIBUTIONS", "ENV", "SOURCE_URL", "VARIANTS")

def runtime_images(
        name,
        distribution,
        base,
        packages,
        parent_packages,
        roots,
        entrypoint,
        repository,
        file_checks,
        excluded = {},
        env = [],
        exclude = DOC_EXCLUDE,
        extra_layers = [],
        layer_prefix = "",
        closure_test_prefix = None,
        debug_packages = [],
        debug_roots = [],
        architectures = None,
        with_ld_so_cache = False,
        version_annotation = None,
        version_package = None,
        debug_version_package = None):
    """A layer per package and architecture, an image per variant, and their tests.

    Makes `<layer_prefix><package>_<arch>` layers, the images `<name><variant suffix>` (each on
    the same variant of `base`, tagged `<distribution><variant suffix>`),
    `<layer_prefix>closure_<arch>_test` and `<name><variant suffix>_<arch>_test`. Debug
    variants keep the runtime as entrypoint, with busybox at /busybox, as upstream's. A package
    layer that an earlier runtime_images of the same Bazel package declared is shared, not
    declared again.

    Args:
      name: image name prefix, e.g. "java17_debian12".
      distribution: a key of DISTRIBUTIONS; its lock repository is `@<distribution>`.
      base: the family image the runtime goes on, e.g. "//cc:debian12".
      packages: the Debian packages the images add, bottom layer first.
      parent_packages: the packages `base` already declares in status.d.
      roots: the packages asked for; `packages` must be exactly their closure.
      entrypoint: the images' entrypoint.
      repository: the repository in docker-archive tags, e.g. "distroless/java17".
      file_checks: function (arch, debug) -> image_test file checks.
      excluded: dependencies deliberately left out -> why.
      env: environment added to the base image's.
      exclude: paths left out of every package layer.
      extra_layers: layers above the packages' (may contain `{arch}`).
      layer_prefix: of the layer and closure test names, for a second distribution in the
        same package.
      closure_test_prefix: of the closure test names instead of `layer_prefix`, for a second
        runtime_images of a distribution in the same package.
      debug_packages: packages the debug variants add above `extra_layers` (e.g. a JDK),
        bottom layer first: exactly the closure of `debug_roots` less the other images'.
      debug_roots: the packages asked for in the debug variants.
      architectures: the Debian architectures to build, if not all of the distribution's.
      with_ld_so_cache: also `<layer_prefix>ld_so_cache_<arch>`, the /etc/ld.so.cache of the
        image's libraries, as the top layer. It is computed from the root variant of `base`:
        the variants differ only in /busybox and their configuration, so it is the same cache
        for each.
      version_annotation: a manifest annotation for the runtime's version, as upstream's
        (e.g. `com.google.distroless.python.version`): the upstream version of
        `version_package` (one of `packages`) as the lock has it for each architecture.
      version_package: the package whose version `version_annotation` is.
      debug_version_package: in the debug variants instead (one of `debug_packages`, e.g. the
        JDK, as upstream's debug images give their JDK's version).
    """
    d = DISTRIBUTIONS[distribution]
    architectures = architectures or d["architectures"]
    if closure_test_prefix == None:
        closure_test_prefix = layer_prefix
    for package in packages + debug_packages:
        for arch in architectures:
            if native.existing_rule("%s%s_%s" % (layer_prefix, package, arch)):
                continue
            deb_layer(
                name = "%s%s_%s" % (layer_prefix, package, arch),
                debs = ["@%s//%s:%s" % (distribution, package, arch)],
                exclude = exclude,
                merged_usr = d["merged_usr"],
            )

    layers = [":%s%s_{arch}" % (layer_prefix, p) for p in packages] + extra_layers
    if with_ld_so_cache:
        for arch in architectures:
            ld_so_cache(
                name = "%sld_so_cache_%s" % (layer_prefix, arch),
                architecture = arch,
                base = "%s_%s" % (base, oci_platform(arch)[0]),
                layers = [layer.format(arch = arch) for layer in layers],
            )
        layers = layers + [":%sld_so_cache_{arch}" % layer_prefix]

    debug_layers = [":%s%s_{arch}" % (layer_prefix, p) for p in debug_packages]
    version_packages = {}
    if version_annotation:
        if version_package not in packages:
            fail("%s: version_package %r is not one of the packages" % (name, version_package))
        if debug_version_package and debug_version_package not in debug_packages:
            fail("%s: debug_version_package %r is not one of the debug_packages" % (name, debug_version_package))
        version_packages = {False: version_package, True: debug_version_package or version_package}
    for suffix, variant in VARIANTS.items():
        distroless_image(
            name = name + suffix,
            architectures = architectures,
            base = "%s%s_{oci_arch}" % (base, suffix),
            entrypoint = entrypoint,
            env = env,
            layers = layers + (debug_layers if variant["debug"] else []),
            lock = "@%s//:lock.json" % distribution,
            repository = repository,
            source = SOURCE_URL,
            tag = distribution + suffix,
            version_annotations = {
                version_annotation: "@%s//%s:{arch}" % (distribution, version_packages[variant["debug"]]),
            } if version_annotation else {},
        )

    for arch in architectures:
        deb_closure_test(
            name = "%sclosure_%s_test" % (closure_test_prefix, arch),
            debs = ["@%s//%s:%s" % (distribution, p, arch) for p in packages],
            excluded = excluded,
            parent = parent_packages,
            roots = roots,
        )
        if debug_packages:
            deb_closure_test(
                name = "%sdebug_closure_%s_test" % (closure_test_prefix, arch),
                debs = ["@%s//%s:%s" % (distribution, p, arch) for p in debug_packages],
                excluded = excluded,
                parent = parent_packages + packages,
                roots = debug_roots,
            )

    for suffix, variant in VARIANTS.items():
        for arch in architectures:
            image_test(
                name = "%s%s_%s_test" % (name, suffix, arch),
                config = {
                    "cmd": [],
                    # An empty entrypoint keeps the base variant's: busybox's shell in debug.
                    "entrypoint": entrypoint or (["/busybox/sh"] if variant["debug"] else []),
                    "env": (DEBUG_ENV if variant["debug"] else ENV) + env,
                    "user": variant["user"],
                    "workdir": variant["workdir"],
                },
                files = file_checks(arch, variant["debug"]),
                image = ":%s%s_%s" % (name, suffix, oci_platform(arch)[0]),
                packages = parent_packages + packages + (debug_packages + ["busybox-static"] if variant["debug"] else []),
            )

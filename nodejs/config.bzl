"""What the nodejs images are made of: Debian 13's Node.js 20 on cc."""

load("//base:config.bzl", "BASE_FAMILIES")
load("//cc:config.bzl", "CC_PACKAGES")
load("//static:config.bzl", "STATIC_STATUS_PACKAGES")

# The root of debian/debian13.json's nodejs set.
NODEJS_ROOTS = ["nodejs"]

# What the cc image (the parent) already has in status.d.
CC_STATUS_PACKAGES = STATIC_STATUS_PACKAGES["debian13"] + BASE_FAMILIES["debian13"] + CC_PACKAGES["debian13"]

# Left out of the closure on purpose (deb_closure_test checks the list against the lock).
NODEJS_EXCLUDED = {
    # Debian's nodejs depends on it; upstream's images have no package manager launchers
    # (their tests require /nodejs/bin/corepack, npm and npx to be absent).
    "node-corepack": "a package manager launcher; upstream's nodejs images have none",
}

# The closure of NODEJS_ROOTS less CC_STATUS_PACKAGES and NODEJS_EXCLUDED, each its own layer
# in this order (deb_closure_test checks it against the lock).
NODEJS_PACKAGES = [
    "libbrotli1",
    "libcares2",
    "libicu76",
    "libnghttp2-14",
    "libuv1t64",
    "node-xtend",
    "node-acorn",
    "node-balanced-match",
    "node-brace-expansion",
    "node-minimatch",
    "node-cjs-module-lexer",
    "node-undici",
    "libnode115",
    "nodejs",
]

# Upstream's images run /nodejs/bin/node (from nodejs.org tarballs); Debian's is
# /usr/bin/node, linked from there so that commands written for upstream work.
NODEJS_ENTRYPOINT = ["/nodejs/bin/node"]

# Upstream's annotation of the Node.js version (Debian's nodejs package's, from the lock).
NODEJS_VERSION_ANNOTATION = "com.google.distroless.nodejs.version"

def nodejs_file_checks(
        arch,  # @unused: the same checks on every architecture
        debug):
    """What every nodejs image must (not) hold, for image_test."""
    return [
        {
            "path": "/nodejs/bin/node",
            "target": "/usr/bin/node",
            "type": "symlink",
        },
        {
            "mode": "0755",
            "path": "/usr/bin/node",
            "type": "file",
        },
        {"path": "/usr/share/doc/nodejs/copyright"},
        {"path": "/usr/share/doc/libnode115/copyright"},
        {
            "content": "^Package: nodejs\n",
            "path": "/var/lib/dpkg/status.d/nodejs",
        },
        {
            "exists": False,
            "path": "/usr/share/doc/libnode115/changelog.Debian.gz",
        },
    ] + [
        # As upstream's tests (nodejs/testdata/check_npm.yaml, check_headers.yaml): no package
        # managers, no C headers, at upstream's paths or Debian's.
        {
            "exists": False,
            "path": path,
        }
        for path in [
            "/nodejs/bin/npm",
            "/nodejs/bin/npx",
            "/nodejs/bin/corepack",
            "/nodejs/lib/node_modules/npm",
            "/nodejs/lib/node_modules/corepack",
            "/nodejs/include/node/node.h",
            "/usr/bin/npm",
            "/usr/bin/npx",
            "/usr/bin/corepack",
            "/usr/share/nodejs/corepack",
            "/usr/share/nodejs/npm",
            "/usr/include/node",
            "/var/lib/dpkg/status.d/node-corepack",
        ]
    ] + [
        {
            "exists": False,
            "path": "/usr/bin/sh",
        },
        {
            "exists": debug,
            "path": "/busybox/sh",
        },
    ]

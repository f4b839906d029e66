"""What the python3 images are made of: Debian 12's python3.11 on cc, and what we leave out."""

load("//base:config.bzl", "BASE_FAMILIES")
load("//cc:config.bzl", "CC_PACKAGES")
load("//private:doc_files.bzl", "doc_checks")
load("//static:config.bzl", "STATIC_STATUS_PACKAGES")

PYTHON_VERSION = "3.11"

# The entrypoint.
PYTHON = "/usr/bin/python" + PYTHON_VERSION

# The roots of debian/debian12.json's python3 set.
PYTHON3_ROOTS = ["python3.11-minimal", "libpython3.11-stdlib"]

# What the cc image (the parent) already has in status.d.
CC_STATUS_PACKAGES = STATIC_STATUS_PACKAGES["debian12"] + BASE_FAMILIES["debian12"] + CC_PACKAGES["debian12"]

# Left out of the closure on purpose (deb_closure_test checks the list against the lock).
PYTHON3_EXCLUDED = {
    # readline-common depends on it for install-info, run by maintainer scripts only. With it
    # would come tar, libacl1, libselinux1, libpcre2-8-0, libmd0 and libzstd1, which nothing
    # else here needs.
    "dpkg": "a package manager; distroless images have none",
}

# The closure of PYTHON3_ROOTS less CC_STATUS_PACKAGES and PYTHON3_EXCLUDED, each its own layer
# in this order (libraries first, the interpreter last).
PYTHON3_PACKAGES = [
    "libbz2-1.0",
    "libcom-err2",
    "libcrypt1",
    "libdb5.3",
    "libexpat1",
    "libffi8",
    "libkeyutils1",
    "libkrb5support0",
    "libk5crypto3",
    "libkrb5-3",
    "libgssapi-krb5-2",
    "liblzma5",
    "libtinfo6",
    "libncursesw6",
    "libtirpc-common",
    "libtirpc3",
    "libnsl2",
    "readline-common",
    "libreadline8",
    "libsqlite3-0",
    "libuuid1",
    "zlib1g",
    "libpython3.11-minimal",
    "libpython3.11-stdlib",
    "python3.11-minimal",
]

DOC_LINKS = {
    "libncursesw6": "libtinfo6",
    "libpython3.11-stdlib": "libpython3.11-minimal",
}

# As upstream's python3 image. The C library has no C.UTF-8 locale here (libc-bin's is not
# locked), so setlocale() falls back to C, and Python then runs in UTF-8 mode (PEP 540): UTF-8
# file names and stdio either way.
PYTHON3_ENV = ["LANG=C.UTF-8"]

# Debian architecture -> multiarch triplet (extension module and library file names).
TRIPLETS = {
    "amd64": "x86_64-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "armhf": "arm-linux-gnueabihf",
    "ppc64el": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
}

def python3_file_checks(arch, debug):
    """What every python3 image must (not) hold, for image_test.

    Args:
      arch: Debian architecture.
      debug: whether the variant has busybox.

    Returns:
      image_test file checks.
    """
    stdlib = "/usr/lib/python" + PYTHON_VERSION
    dynload = "%s/lib-dynload/%%s.cpython-311-%s.so" % (stdlib, TRIPLETS[arch])
    return [
        {
            "mode": "0755",
            "path": PYTHON,
            "type": "file",
            "uid": 0,
        },
        {
            "path": "/usr/bin/python3",
            "target": "python" + PYTHON_VERSION,
            "type": "symlink",
        },
        {
            "path": "/usr/bin/python",
            "target": "python" + PYTHON_VERSION,
            "type": "symlink",
        },
        {
            "content": "(?m)^import sys$",
            "path": stdlib + "/os.py",
            "type": "file",
        },
        {
            "content": "import _ssl",
            "path": stdlib + "/ssl.py",
        },
        {"path": stdlib + "/json/__init__.py"},
        {"path": stdlib + "/sqlite3/__init__.py"},
        {"path": stdlib + "/encodings/utf_8.py"},
        {
            "mode": "0644",
            "path": dynload % "_ssl",
            "type": "file",
        },
        {"path": dynload % "_hashlib"},
        {"path": dynload % "_sqlite3"},
        {"path": dynload % "_ctypes"},
        {"path": "/usr/lib/%s/libsqlite3.so.0" % TRIPLETS[arch]},
        {"path": "/usr/lib/%s/libssl.so.3" % TRIPLETS[arch]},
        {"path": "/etc/netconfig"},
        # Docs trimmed, copyright kept (libpython3.11-stdlib's doc directory links to -minimal's).
        {
            "path": "/usr/share/doc/python3.11-minimal/copyright",
            "type": "file",
        },
        {
            "exists": False,
            "path": "/usr/share/doc/python3.11-minimal/changelog.Debian.gz",
        },
        {
            "exists": False,
            "path": "/usr/share/man/man1/python3.11.1.gz",
        },
        {
            "content": "^Package: python3.11-minimal\n",
            "mode": "0644",
            "path": "/var/lib/dpkg/status.d/python3.11-minimal",
        },
        {
            "exists": False,
            "path": "/usr/bin/dpkg",
        },
        {
            "exists": False,
            "path": "/var/lib/dpkg/info",
        },
        {
            "exists": False,
            "path": "/bin/sh",
        },
        {
            "exists": False,
            "path": "/usr/bin/bash",
        },
        {
            "exists": debug,
            "path": "/busybox/sh",
        },
    ] + doc_checks(PYTHON3_PACKAGES, DOC_LINKS)

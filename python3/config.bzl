"""What the python3 images are made of: each distribution's Python on cc, and what we leave out."""

load("//base:config.bzl", "BASE_FAMILIES")
load("//cc:config.bzl", "CC_PACKAGES")
load("//private:doc_files.bzl", "doc_checks")
load("//static:config.bzl", "STATIC_STATUS_PACKAGES")

# Distribution -> its Python: `version`; `roots`, the lock's python3 set; `packages`, their
# closure less the cc image's packages and `excluded`, each its own layer in this order
# (libraries first, the interpreter last; deb_closure_test checks it against the lock);
# `doc_links`, packages whose /usr/share/doc/<package> links to another's; `ld_so_cache`, an
# /etc/ld.so.cache layer on top (upstream's debian13 images have one).
PYTHON3 = {
    "debian12": {
        "doc_links": {
            "libncursesw6": "libtinfo6",
            "libpython3.11-stdlib": "libpython3.11-minimal",
        },
        "excluded": {
            # readline-common depends on it for install-info, run by maintainer scripts only.
            # With it would come tar, libacl1, libselinux1, libpcre2-8-0, libmd0 and libzstd1,
            # which nothing else here needs.
            "dpkg": "a package manager; distroless images have none",
        },
        "ld_so_cache": False,
        "packages": [
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
        ],
        "roots": ["python3.11-minimal", "libpython3.11-stdlib"],
        "version": "3.11",
    },
    # As upstream's: with libc-bin (whose /sbin/ldconfig -p is how ctypes.util.find_library
    # finds libraries) and python3.13-venv (venv and ensurepip, with pip's and setuptools'
    # wheels).
    "debian13": {
        "doc_links": {
            "libncursesw6": "libtinfo6",
            "libpython3.13-stdlib": "libpython3.13-minimal",
            "python3.13-venv": "python3.13",
        },
        "excluded": {},
        "ld_so_cache": True,
        "packages": [
            "libbz2-1.0",
            "libc-bin",
            "libdb5.3t64",
            "libexpat1",
            "libffi8",
            "liblzma5",
            "libtinfo6",
            "libncursesw6",
            "readline-common",
            "libreadline8t64",
            "libsqlite3-0",
            "libuuid1",
            "libpython3.13-minimal",
            "libpython3.13-stdlib",
            "python3.13-minimal",
            "python3.13",
            "python3-pip-whl",
            "python3-setuptools-whl",
            "python3.13-venv",
        ],
        "roots": ["python3.13-minimal", "libpython3.13-stdlib", "python3.13-venv", "libc-bin"],
        "version": "3.13",
    },
}

def python(dist):
    """The entrypoint of a distribution's images."""
    return "/usr/bin/python" + PYTHON3[dist]["version"]

def cc_status_packages(dist):
    """What the cc image (the parent) already has in status.d."""
    return STATIC_STATUS_PACKAGES[dist] + BASE_FAMILIES[dist] + CC_PACKAGES[dist]

# As upstream's python3 image. On debian12 the C library has no C.UTF-8 locale (libc-bin's is
# not in the image), so setlocale() falls back to C, and Python then runs in UTF-8 mode (PEP
# 540): UTF-8 file names and stdio either way. debian13's libc-bin has the locale.
PYTHON3_ENV = ["LANG=C.UTF-8"]

# Upstream's annotation of the Python version (the interpreter package's, from the lock).
PYTHON3_VERSION_ANNOTATION = "com.google.distroless.python.version"

# Debian architecture -> multiarch triplet (extension module and library file names).
TRIPLETS = {
    "amd64": "x86_64-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "armhf": "arm-linux-gnueabihf",
    "ppc64el": "powerpc64le-linux-gnu",
    "riscv64": "riscv64-linux-gnu",
    "s390x": "s390x-linux-gnu",
}

def python3_file_checks(dist, arch, debug):
    """What every python3 image must (not) hold, for image_test.

    Args:
      dist: a key of PYTHON3.
      arch: Debian architecture.
      debug: whether the variant has busybox.

    Returns:
      image_test file checks.
    """
    p = PYTHON3[dist]
    version = p["version"]
    stdlib = "/usr/lib/python" + version
    dynload = "%s/lib-dynload/%%s.cpython-%s-%s.so" % (stdlib, version.replace(".", ""), TRIPLETS[arch])
    checks = [
        {
            "mode": "0755",
            "path": python(dist),
            "type": "file",
            "uid": 0,
        },
        {
            "path": "/usr/bin/python3",
            "target": "python" + version,
            "type": "symlink",
        },
        {
            "path": "/usr/bin/python",
            "target": "python" + version,
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
        # Docs trimmed, copyright kept (libpython3.X-stdlib's doc directory links to -minimal's).
        {
            "path": "/usr/share/doc/python%s-minimal/copyright" % version,
            "type": "file",
        },
        {
            "exists": False,
            "path": "/usr/share/doc/python%s-minimal/changelog.Debian.gz" % version,
        },
        {
            "exists": False,
            "path": "/usr/share/man/man1/python%s.1.gz" % version,
        },
        {
            "content": "^Package: python%s-minimal\n" % version,
            "mode": "0644",
            "path": "/var/lib/dpkg/status.d/python%s-minimal" % version,
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
    ] + doc_checks(p["packages"], p["doc_links"])
    if dist == "debian12":
        return checks + [{"path": "/etc/netconfig"}]
    return checks + [
        # ctypes.util.find_library runs /sbin/ldconfig -p, which reads the generated cache.
        {
            "content": "^glibc-ld\\.so\\.cache1\\.1",
            "gid": 0,
            "mode": "0644",
            "path": "/etc/ld.so.cache",
            "type": "file",
            "uid": 0,
        },
        {
            "mode": "0755",
            "path": "/usr/sbin/ldconfig",
            "type": "file",
        },
        {"path": "/etc/ld.so.conf.d/%s.conf" % TRIPLETS[arch]},
        {"path": "/usr/lib/locale/C.utf8/LC_CTYPE"},
        {"path": stdlib + "/venv/__init__.py"},
        {"path": stdlib + "/ensurepip/__init__.py"},
    ]

PYTHON3_FILE_CHECKS = {
    "debian12": lambda arch, debug: python3_file_checks("debian12", arch, debug),
    "debian13": lambda arch, debug: python3_file_checks("debian13", arch, debug),
}

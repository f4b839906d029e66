"""What the java images are made of: Debian 12's OpenJDK 17 JRE on base, Debian 13's java_base
and OpenJDK 21 and 25 on it, and what we leave out."""

load("//base:config.bzl", "BASE_FAMILIES")
load("//private:doc_files.bzl", "DOC_EXCLUDE", "doc_checks")
load("//static:config.bzl", "DEBIAN12_ARCHITECTURES", "STATIC_STATUS_PACKAGES")

# As upstream's java_base. Java 17 takes its encodings from the C library's locale: the image
# has libc-bin's C.utf8 (JAVA17_LOCALE_FILES). Upstream sets no JAVA_HOME; its
# JAVA_VERSION is left out here: the JRE's version differs per architecture (s390x has no
# bookworm-security) and distroless_image's env is the same for all of them.
JAVA17_ENV = ["LANG=C.UTF-8"]

# From libc-bin (debian/debian12.json's locale set): the locale LANG names, and its licence.
JAVA17_LOCALE_FILES = [
    "usr/lib/locale/C.utf8",
    "usr/share/doc/libc-bin/copyright",
]

JAVA17_ENTRYPOINT = ["/usr/bin/java", "-jar"]

# Upstream's annotation of the Java version: the JRE package's (the JDK's in debug variants
# that have one), from the lock.
JAVA_VERSION_ANNOTATION = "com.google.distroless.java.version"

# The root of debian/debian12.json's java17 set.
JAVA17_ROOTS = ["openjdk-17-jre-headless"]

# What the base image (the parent) already has in status.d.
BASE_STATUS_PACKAGES = STATIC_STATUS_PACKAGES["debian12"] + BASE_FAMILIES["debian12"]

# Left out of the closure on purpose: each serves only maintainer scripts, which never run in
# a distroless image. deb_closure_test checks the list against the lock; the runtime test
# checks that every ELF object's DT_NEEDED still resolves.
JAVA17_EXCLUDED = {
    # Its hook builds /etc/ssl/certs/java/cacerts with Java; our cacerts layer writes that file.
    "ca-certificates-java": "the trust store comes from the cacerts layer",
    # Perl (absent) configuration for fontconfig-config's and libpam0g's maintainer scripts.
    "debconf": "maintainer-script configuration, in Perl",
    # update-java-alternatives and jinfo for maintainer scripts; /usr/bin/java is our link.
    "java-common": "alternatives helpers for maintainer scripts",
    # openjdk's postinst runs `mountpoint`. It would bring system tools (a setuid-root su among
    # them), PAM, audit, udev and util-linux-extra into the image.
    "util-linux": "system tools, used only by openjdk's postinst",
}

# The closure of JAVA17_ROOTS less BASE_STATUS_PACKAGES and JAVA17_EXCLUDED, each its own layer
# in this order (the JRE last).
JAVA17_PACKAGES = [
    "gcc-12-base",
    "libgcc-s1",
    "libstdc++6",
    "zlib1g",
    "libexpat1",
    "libbrotli1",
    "libpng16-16",
    "libfreetype6",
    "fonts-dejavu-core",
    "fontconfig-config",
    "libfontconfig1",
    "libffi8",
    "libpcre2-8-0",
    "libselinux1",
    "libblkid1",
    "libmount1",
    "libglib2.0-0",
    "libgraphite2-3",
    "libharfbuzz0b",
    "libjpeg62-turbo",
    "liblcms2-2",
    "libasound2-data",
    "libasound2",
    "libpcsclite1",
    "libsqlite3-0",
    "libnspr4",
    "libnss3",
    "libcom-err2",
    "libkeyutils1",
    "libkrb5support0",
    "libk5crypto3",
    "libkrb5-3",
    "libgssapi-krb5-2",
    "libgmp10",
    "libnettle8",
    "libhogweed6",
    "libunistring2",
    "libidn2-0",
    "libp11-kit0",
    "libtasn1-6",
    "libgnutls30",
    "libcap2",
    "libgpg-error0",
    "libgcrypt20",
    "liblz4-1",
    "liblzma5",
    "libzstd1",
    "libsystemd0",
    "libdbus-1-3",
    "libavahi-common-data",
    "libavahi-common3",
    "libavahi-client3",
    "libcups2",
    "openjdk-17-jre-headless",
]

# Docs as in the python3 images, and the JRE's own man pages.
JAVA17_EXCLUDE = DOC_EXCLUDE + ["usr/lib/jvm/*/man"]

# Packages whose /usr/share/doc/<package> is a symlink to another package's.
DOC_LINKS = {
    "libgcc-s1": "gcc-12-base",
    "libstdc++6": "gcc-12-base",
}

def java_home(arch):
    return "/usr/lib/jvm/java-17-openjdk-" + arch

# PKCS#12 (a DER SEQUENCE) holding Debian's CA files by name, "debian:<file>" in a BMPString.
JAVA_TRUSTSTORE_CHECK = {
    "content": "(?s-u)^\\x30[\\x82\\x83].*\\x00d\\x00e\\x00b\\x00i\\x00a\\x00n\\x00:\\x00I\\x00S\\x00R\\x00G",
    "gid": 0,
    "mode": "0644",
    "path": "/etc/ssl/certs/java/cacerts",
    "type": "file",
    "uid": 0,
}

def jre_checks(version, home):
    """The JRE of Java `version` at `home`, and the /usr/bin/java link to it."""
    return [
        {
            "path": "/usr/bin/java",
            "target": home + "/bin/java",
            "type": "symlink",
        },
        {
            "mode": "0755",
            "path": home + "/bin/java",
            "type": "file",
            "uid": 0,
        },
        {
            "content": "(?m)^JAVA_VERSION=\"%s\\." % version,
            "path": home + "/release",
        },
        {"path": home + "/lib/server/libjvm.so"},
    ]

def java17_file_checks(arch, debug):
    """What every java17 image must (not) hold, for image_test.

    Args:
      arch: Debian architecture.
      debug: whether the variant has busybox.

    Returns:
      image_test file checks.
    """
    home = java_home(arch)
    return jre_checks("17", home) + [
        {
            "mode": "0644",
            "path": "/usr/lib/locale/C.utf8/LC_CTYPE",
            "type": "file",
        },
        {"path": "/usr/share/doc/libc-bin/copyright"},
        # Only the locale from libc-bin.
        {
            "exists": False,
            "path": "/usr/bin/locale",
        },
        {
            "exists": False,
            "path": "/var/lib/dpkg/status.d/libc-bin",
        },
        {"path": home + "/lib/modules"},
        {
            "path": home + "/lib/security/cacerts",
            "target": "/etc/ssl/certs/java/cacerts",
            "type": "symlink",
        },
        JAVA_TRUSTSTORE_CHECK,
        {
            "content": "^-----BEGIN CERTIFICATE-----",
            "path": "/etc/ssl/certs/ca-certificates.crt",
        },
        {"path": "/etc/java-17-openjdk/security/java.security"},
        {"path": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"},
        {
            "content": "^Package: openjdk-17-jre-headless\n",
            "mode": "0644",
            "path": "/var/lib/dpkg/status.d/openjdk-17-jre-headless",
        },
        # A JRE, not a JDK.
        {
            "exists": False,
            "path": home + "/bin/javac",
        },
        # Docs trimmed, copyright kept.
        {
            "path": "/usr/share/doc/openjdk-17-jre-headless/copyright",
            "type": "file",
        },
        {
            "exists": False,
            "path": "/usr/share/doc/openjdk-17-jre-headless/changelog.Debian.gz",
        },
        {
            "exists": False,
            "path": home + "/man",
        },
        # What JAVA17_EXCLUDED keeps out.
        {
            "exists": False,
            "path": "/bin/su",
        },
        {
            "exists": False,
            "path": "/usr/share/doc/util-linux",
        },
        {
            "exists": False,
            "path": "/usr/share/debconf",
        },
        {
            "exists": False,
            "path": "/usr/bin/dpkg",
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
    ] + doc_checks(JAVA17_PACKAGES, DOC_LINKS)

# Debian 13: java_base (upstream's: base-nossl with what a JRE needs, the C.utf8 locale and the
# trust store, no JRE) and Debian's OpenJDK 21 and 25 on it (upstream's are Temurin's, which
# cannot be fetched here). The debug variants add the JDK, as upstream's.

# Built for amd64 and arm64 only, to keep CI's time in bounds: the JDK layers of the debug
# variants are ~80 MB .debs each. trixie has openjdk-21 and -25 on armhf and riscv64 too;
# adding them here is all it takes.
JAVA_DEBIAN13_ARCHITECTURES = ["amd64", "arm64"]

# Distribution -> the architectures its java images are built for.
JAVA_ARCHITECTURES = {
    "debian12": DEBIAN12_ARCHITECTURES,
    "debian13": JAVA_DEBIAN13_ARCHITECTURES,
}

# What base-nossl (the parent of java_base) already has in status.d.
NOSSL_STATUS_PACKAGES_DEBIAN13 = STATIC_STATUS_PACKAGES["debian13"] + BASE_FAMILIES["nossl_debian13"]

# The roots of debian/debian13.json's java-base set: upstream's JAVA_BASE_PACKAGES.
JAVA_BASE_ROOTS = [
    "zlib1g",
    "libjpeg62-turbo",
    "liblcms2-2",
    "libfreetype6",
    "fonts-dejavu-core",
    "fontconfig-config",
    "libexpat1",
    "libfontconfig1",
    "libuuid1",
    "libbrotli1",
    "libcrypt1",
    "libstdc++6",
    "libgcc-s1",
    "gcc-14-base",
    "libpng16-16t64",
    "libbz2-1.0",
]

JAVA_BASE_EXCLUDED = {
    # fontconfig-config's maintainer scripts ask their questions with it.
    "debconf": "maintainer-script configuration, in Perl",
}

# The closure of JAVA_BASE_ROOTS less its parent and JAVA_BASE_EXCLUDED, bottom layer first.
JAVA_BASE_PACKAGES = [
    "gcc-14-base",
    "libgcc-s1",
    "libstdc++6",
    "zlib1g",
    "libexpat1",
    "libbrotli1",
    "libbz2-1.0",
    "libpng16-16t64",
    "libfreetype6",
    "fonts-dejavu-mono",
    "fonts-dejavu-core",
    "fontconfig-config",
    "libfontconfig1",
    "libjpeg62-turbo",
    "liblcms2-2",
    "libuuid1",
    "libcrypt1",
]

JAVA_BASE_DOC_LINKS = {
    "libgcc-s1": "gcc-14-base",
    "libstdc++6": "gcc-14-base",
}

# As upstream's java_base.
JAVA_BASE_ENV = ["LANG=C.UTF-8"]

# Version -> the packages a JRE adds on java_base (its closure less java_base's and
# JAVA_EXCLUDED, bottom layer first), and what the debug variants add on top: the JDK.
# Besides the JRE, the roots are two of its Recommends that its libraries need (libfontmanager
# needs libharfbuzz, libjsound libasound); the others are dlopen()ed, for fonts (java_base has
# them) and printing (libcups2t64, left out as upstream's images do).
JAVA_DEBIAN13 = {
    version: {
        "jdk": ["openjdk-%s-jdk-headless" % version],
        "jre": [
            "libasound2-data",
            "libasound2t64",
            "libatomic1",
            "libffi8",
            "libpcre2-8-0",
            "libselinux1",
            "libblkid1",
            "libmount1",
            "libglib2.0-0t64",
            "libgraphite2-3",
            "libharfbuzz0b",
            "libnspr4",
            "libsqlite3-0",
            "libnss3",
            "libpcsclite1",
            "openjdk-%s-jre-headless" % version,
        ],
        "roots": ["openjdk-%s-jre-headless" % version, "libharfbuzz0b", "libasound2t64"],
    }
    for version in ["21", "25"]
}

JAVA_DEBIAN13_DOC_LINKS = {
    "libatomic1": "gcc-14-base",
}

# As JAVA17_EXCLUDED: what only maintainer scripts use (deb_closure_test checks the list).
JAVA_EXCLUDED = {
    "ca-certificates-java": JAVA17_EXCLUDED["ca-certificates-java"],
    "java-common": JAVA17_EXCLUDED["java-common"],
    "util-linux": JAVA17_EXCLUDED["util-linux"],
}

# What java_base and the JREs on it share: the locale, the trust store, the fonts.
JAVA_BASE_COMMON_CHECKS = [
    {
        "mode": "0644",
        "path": "/usr/lib/locale/C.utf8/LC_CTYPE",
        "type": "file",
    },
    {"path": "/usr/share/doc/libc-bin/copyright"},
    {
        "exists": False,
        "path": "/var/lib/dpkg/status.d/libc-bin",
    },
    {
        "exists": False,
        "path": "/usr/sbin/ldconfig",
    },
    JAVA_TRUSTSTORE_CHECK,
    {"path": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"},
    {"path": "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"},
    {"path": "/etc/fonts/fonts.conf"},
    # base-nossl's: no OpenSSL. No package manager or its configuration, no shell.
    {
        "exists": False,
        "path": "/var/lib/dpkg/status.d/libssl3t64",
    },
    {
        "exists": False,
        "path": "/usr/share/debconf",
    },
    {
        "exists": False,
        "path": "/usr/bin/dpkg",
    },
    {
        "exists": False,
        "path": "/usr/bin/sh",
    },
] + doc_checks(JAVA_BASE_PACKAGES, JAVA_BASE_DOC_LINKS)

def java_base_file_checks(
        arch,  # @unused: the same checks on every architecture
        debug):
    """What every java_base image must (not) hold, for image_test."""
    return JAVA_BASE_COMMON_CHECKS + [
        {
            "exists": False,
            "path": "/usr/lib/jvm",
        },
        {
            "exists": False,
            "path": "/usr/bin/java",
        },
        {
            "exists": debug,
            "path": "/busybox/sh",
        },
    ]

def java_debian13_home(version, arch):
    return "/usr/lib/jvm/java-%s-openjdk-%s" % (version, arch)

def java_debian13_file_checks(version, arch, debug):
    """What every javaNN_debian13 image must (not) hold, for image_test.

    Args:
      version: a key of JAVA_DEBIAN13.
      arch: Debian architecture.
      debug: whether the variant has busybox and the JDK.

    Returns:
      image_test file checks.
    """
    home = java_debian13_home(version, arch)
    return JAVA_BASE_COMMON_CHECKS + jre_checks(version, home) + [
        {"path": home + "/lib/libfontmanager.so"},
        {
            "path": home + "/lib/security/cacerts",
            "target": "/etc/ssl/certs/java/cacerts",
            "type": "symlink",
        },
        {"path": "/etc/java-%s-openjdk/security/java.security" % version},
        {
            "content": "^Package: openjdk-%s-jre-headless\n" % version,
            "path": "/var/lib/dpkg/status.d/openjdk-%s-jre-headless" % version,
        },
        # The JDK in the debug variants only, as upstream's.
        {
            "exists": debug,
            "path": home + "/bin/javac",
        },
        {
            "exists": debug,
            "path": home + "/bin/jshell",
        },
        {
            "exists": debug,
            "path": "/var/lib/dpkg/status.d/openjdk-%s-jdk-headless" % version,
        },
        # Docs trimmed, copyright kept.
        {
            "path": "/usr/share/doc/openjdk-%s-jre-headless/copyright" % version,
            "type": "file",
        },
        {
            "exists": False,
            "path": home + "/man",
        },
        # What JAVA_EXCLUDED keeps out.
        {
            "exists": False,
            "path": "/usr/bin/su",
        },
        {
            "exists": False,
            "path": "/usr/share/doc/util-linux",
        },
        {
            "exists": debug,
            "path": "/busybox/sh",
        },
    ] + doc_checks(JAVA_DEBIAN13[version]["jre"], JAVA_DEBIAN13_DOC_LINKS)

JAVA_DEBIAN13_FILE_CHECKS = {
    "21": lambda arch, debug: java_debian13_file_checks("21", arch, debug),
    "25": lambda arch, debug: java_debian13_file_checks("25", arch, debug),
}

"""What the static images are made of: Debian 12 and 13 packages, users, variants."""

# Debian architectures of the locks (debian/debian12.json, debian/debian13.json); OCI
# platforms in private/platforms.bzl.
DEBIAN12_ARCHITECTURES = ["amd64", "arm64", "armhf", "s390x", "ppc64el"]

# debian/debian13.json locks s390x and ppc64el too, but the mirror reachable here does not
# serve their trixie point-release .debs yet (404 for what the signed index lists).
DEBIAN13_ARCHITECTURES = ["amd64", "arm64", "armhf", "riscv64"]

# Distribution -> what differs between them. `merged_usr`: packages are laid out with /bin,
# /sbin and /lib* as links into /usr (trixie's base-files ships the links; deb_layer moves
# anything a package still ships under them). `layer_prefix`: of the package layers' target
# names (debian12's predate debian13).
DISTRIBUTIONS = {
    "debian12": {
        "architectures": DEBIAN12_ARCHITECTURES,
        "busybox": "bin/busybox",
        "codename": "bookworm",
        "layer_prefix": "",
        "merged_usr": False,
        "version": "12",
    },
    "debian13": {
        "architectures": DEBIAN13_ARCHITECTURES,
        "busybox": "usr/bin/busybox",
        "codename": "trixie",
        "layer_prefix": "debian13_",
        "merged_usr": True,
        "version": "13",
    },
}

# Each its own layer, in this order. trixie moved the legacy zone names (US/*, posix/, right/)
# to tzdata-legacy; upstream's debian12 images have them, so debian13 keeps them.
STATIC_PACKAGES = {
    "debian12": ["base-files", "netbase", "tzdata", "media-types"],
    "debian13": ["base-files", "netbase", "tzdata", "tzdata-legacy", "media-types"],
}

# base-files' /usr/lib/os-release is replaced by OS_RELEASE (a layer of its own).
BASE_FILES_EXCLUDE = ["usr/lib/os-release"]

# This repository: org.opencontainers.image.source of its images, and os-release's URLs.
SOURCE_URL = "https://github.com/rules-debimage/rules_debimage"

def os_release_fields(dist):
    """/usr/lib/os-release of a distribution's images, in this order."""
    d = DISTRIBUTIONS[dist]
    return {
        "PRETTY_NAME": "Distroless",
        "NAME": "Debian GNU/Linux",
        "ID": "debian",
        "VERSION_ID": d["version"],
        "VERSION": "Debian GNU/Linux %s (%s)" % (d["version"], d["codename"]),
        "HOME_URL": SOURCE_URL,
        "SUPPORT_URL": SOURCE_URL + "/blob/main/README.md",
        "BUG_REPORT_URL": SOURCE_URL + "/issues/new",
    }

USERS = [
    {"gecos": "root", "gid": 0, "home": "/root", "name": "root", "shell": "/sbin/nologin", "uid": 0},
    {"gecos": "nobody", "gid": 65534, "home": "/nonexistent", "name": "nobody", "shell": "/sbin/nologin", "uid": 65534},
    {"gecos": "nonroot", "gid": 65532, "home": "/home/nonroot", "name": "nonroot", "shell": "/sbin/nologin", "uid": 65532},
]

GROUPS = [
    {"gid": 0, "name": "root"},
    {"gid": 65534, "name": "nobody"},
    {"gid": 5, "name": "tty"},
    {"gid": 50, "name": "staff"},
    {"gid": 65532, "name": "nonroot"},
]

HOMES = [
    {"gid": 65532, "mode": "0700", "path": "/home/nonroot", "uid": 65532},
]

NSSWITCH = """\
passwd:         compat
group:          compat
shadow:         compat
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
"""

ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
]

# Variant suffix -> user, working directory, and whether it is a debug (busybox) variant.
VARIANTS = {
    "": {"debug": False, "user": "0", "workdir": "/"},
    "_nonroot": {"debug": False, "user": "65532", "workdir": "/home/nonroot"},
    "_debug": {"debug": True, "user": "0", "workdir": "/"},
    "_debug_nonroot": {"debug": True, "user": "65532", "workdir": "/home/nonroot"},
}

def static_file_checks(dist):
    """What ../shared/reference/distroless-debian12.md requires of every static image.

    Args:
      dist: a key of DISTRIBUTIONS.

    Returns:
      image_test file checks.
    """
    d = DISTRIBUTIONS[dist]
    merged = [
        {"path": "/" + top, "target": "usr/" + top, "type": "symlink"}
        for top in ["bin", "lib", "sbin"]
    ] if d["merged_usr"] else [
        {"path": "/bin", "type": "directory"},
    ]
    return merged + [
        {"content": "^root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n$", "gid": 0, "mode": "0644", "path": "/etc/passwd", "uid": 0},
        {"content": "^root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n$", "mode": "0644", "path": "/etc/group"},
        {"exists": False, "path": "/etc/shadow"},
        {"exists": False, "path": "/etc/gshadow"},
        {"mode": "0755", "path": "/home", "type": "directory", "uid": 0},
        {"gid": 0, "mode": "0700", "path": "/root", "type": "directory", "uid": 0},
        {"gid": 65532, "mode": "0700", "path": "/home/nonroot", "type": "directory", "uid": 65532},
        {"mode": "1777", "path": "/tmp", "type": "directory"},
        {"mode": "1777", "path": "/var/tmp", "type": "directory"},
        {"mode": "1777", "path": "/var/lock", "type": "directory"},
        # bookworm's base-files ships /var/local setgid staff; trixie's plain root 0755.
        {"gid": 50, "mode": "2775", "path": "/var/local", "type": "directory", "uid": 0} if dist == "debian12" else {"gid": 0, "mode": "0755", "path": "/var/local", "type": "directory", "uid": 0},
        {"path": "/etc/os-release", "target": "../usr/lib/os-release", "type": "symlink"},
        {"content": "^PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"%s\"\nVERSION=\"Debian GNU/Linux %s \\(%s\\)\"\n" % (d["version"], d["version"], d["codename"]), "path": "/usr/lib/os-release"},
        {"content": "(?m)^passwd: +compat$", "mode": "0644", "path": "/etc/nsswitch.conf"},
        {"content": "(?m)^hosts: +files dns$", "path": "/etc/nsswitch.conf"},
        {"content": "^-----BEGIN CERTIFICATE-----", "mode": "0644", "path": "/etc/ssl/certs/ca-certificates.crt"},
        {"path": "/usr/share/doc/ca-certificates/copyright", "type": "file"},
        {"exists": False, "path": "/usr/share/ca-certificates"},
        {"exists": False, "path": "/etc/ca-certificates.conf"},
        {"path": "/usr/share/zoneinfo/Europe/Berlin", "type": "file"},
        {"path": "/usr/share/zoneinfo/right/UTC"},
        # trixie's tzdata dropped the posix/ copies; right/ is in tzdata-legacy.
        {"exists": dist == "debian12", "path": "/usr/share/zoneinfo/posix/UTC"},
        {"path": "/usr/share/zoneinfo/US/Pacific"},
        {"exists": False, "path": "/etc/localtime"},
        {"exists": False, "path": "/etc/timezone"},
        {"path": "/etc/services", "type": "file"},
        {"path": "/etc/protocols", "type": "file"},
        {"path": "/etc/rpc", "type": "file"},
        {"path": "/etc/ethertypes", "type": "file"},
        {"path": "/etc/mime.types", "type": "file"},
        {"content": "^%s\\." % d["version"], "path": "/etc/debian_version"},
        {"content": "^Package: tzdata\n", "mode": "0644", "path": "/var/lib/dpkg/status.d/tzdata"},
        {"path": "/var/lib/dpkg/status.d/ca-certificates.md5sums", "type": "file"},
        {"path": "/usr/share/doc/base-files/copyright"},
        {"exists": False, "path": "/bin/sh"},
        {"exists": False, "path": "/usr/bin/sh"},
        {"exists": False, "path": "/usr/bin/bash"},
        {"exists": False, "path": "/etc/ld.so.cache"},
        {"exists": False, "path": "/usr/lib/locale"},
        {"exists": False, "path": "/etc/profile"},
        {"exists": False, "path": "/etc/shells"},
        {"exists": False, "path": "/var/lib/dpkg/status"},
        {"exists": False, "path": "/var/lib/dpkg/info"},
        {"exists": False, "path": "/etc/hosts"},
        {"exists": False, "path": "/etc/resolv.conf"},
        {"exists": False, "path": "/etc/hostname"},
    ]

STATIC_STATUS_PACKAGES = {
    "debian12": ["base-files", "ca-certificates", "media-types", "netbase", "tzdata"],
    "debian13": ["base-files", "ca-certificates", "media-types", "netbase", "tzdata", "tzdata-legacy"],
}

# debug variants: busybox-static at /busybox, its applets as symlinks to /busybox/busybox.
# Each list is `busybox --list` of that distribution's busybox-static (amd64): bookworm's
# 1:1.35.0-4+deb12u1+b1, trixie's 1:1.37.0-6+b9 (less "busybox" itself).
BUSYBOX_APPLETS = {
    "debian12": ["[", "[[", "acpid", "adjtimex", "ar", "arch", "arp", "arping", "ascii", "ash", "awk", "base64", "basename", "bc", "blkdiscard", "blockdev", "brctl", "bunzip2", "bzcat", "bzip2", "cal", "cat", "chgrp", "chmod", "chown", "chroot", "chvt", "clear", "cmp", "cp", "cpio", "crc32", "crond", "crontab", "cttyhack", "cut", "date", "dc", "dd", "deallocvt", "depmod", "devmem", "df", "diff", "dirname", "dmesg", "dnsdomainname", "dos2unix", "dpkg", "dpkg-deb", "du", "dumpkmap", "dumpleases", "echo", "ed", "egrep", "env", "expand", "expr", "factor", "fallocate", "false", "fatattr", "fdisk", "fgrep", "find", "findfs", "fold", "free", "freeramdisk", "fsfreeze", "fstrim", "ftpget", "ftpput", "getopt", "getty", "grep", "groups", "gunzip", "gzip", "halt", "head", "hexdump", "hostid", "hostname", "httpd", "hwclock", "i2cdetect", "i2cdump", "i2cget", "i2cset", "i2ctransfer", "id", "ifconfig", "ifdown", "ifup", "init", "insmod", "ionice", "ip", "ipcalc", "ipneigh", "kill", "killall", "klogd", "last", "less", "link", "linux32", "linux64", "linuxrc", "ln", "loadfont", "loadkmap", "logger", "login", "logname", "logread", "losetup", "ls", "lsmod", "lsscsi", "lzcat", "lzma", "lzop", "md5sum", "mdev", "microcom", "mim", "mkdir", "mkdosfs", "mke2fs", "mkfifo", "mknod", "mkpasswd", "mkswap", "mktemp", "modinfo", "modprobe", "more", "mount", "mt", "mv", "nameif", "nc", "netstat", "nl", "nologin", "nproc", "nsenter", "nslookup", "nuke", "od", "openvt", "partprobe", "passwd", "paste", "patch", "pidof", "ping", "ping6", "pivot_root", "poweroff", "printf", "ps", "pwd", "rdate", "readlink", "realpath", "reboot", "renice", "reset", "resume", "rev", "rm", "rmdir", "rmmod", "route", "rpm", "rpm2cpio", "run-init", "run-parts", "sed", "seq", "setkeycodes", "setpriv", "setsid", "sh", "sha1sum", "sha256sum", "sha3sum", "sha512sum", "shred", "shuf", "sleep", "sort", "ssl_client", "start-stop-daemon", "stat", "strings", "stty", "su", "sulogin", "svc", "svok", "swapoff", "swapon", "switch_root", "sync", "sysctl", "syslogd", "tac", "tail", "tar", "taskset", "tc", "tee", "telnet", "telnetd", "test", "tftp", "time", "timeout", "top", "touch", "tr", "traceroute", "traceroute6", "true", "truncate", "ts", "tty", "tunctl", "ubirename", "udhcpc", "udhcpd", "uevent", "umount", "uname", "uncompress", "unexpand", "uniq", "unix2dos", "unlink", "unlzma", "unshare", "unxz", "unzip", "uptime", "usleep", "uudecode", "uuencode", "vconfig", "vi", "w", "watch", "watchdog", "wc", "wget", "which", "who", "whoami", "xargs", "xxd", "xz", "xzcat", "yes", "zcat"],
    "debian13": ["[", "[[", "acpid", "adjtimex", "ar", "arch", "arp", "arping", "ascii", "ash", "awk", "base64", "basename", "bc", "blkdiscard", "blockdev", "brctl", "bunzip2", "bzcat", "bzip2", "cal", "cat", "chgrp", "chmod", "chown", "chroot", "chvt", "clear", "cmp", "cp", "cpio", "crc32", "crond", "crontab", "cttyhack", "cut", "date", "dc", "dd", "deallocvt", "depmod", "devmem", "df", "diff", "dirname", "dmesg", "dnsdomainname", "dos2unix", "dpkg", "dpkg-deb", "du", "dumpkmap", "dumpleases", "echo", "ed", "egrep", "env", "expand", "expr", "factor", "fallocate", "false", "fatattr", "fdisk", "fgrep", "find", "findfs", "fold", "free", "freeramdisk", "fsfreeze", "fstrim", "ftpget", "ftpput", "getfattr", "getopt", "getty", "grep", "groups", "gunzip", "gzip", "halt", "head", "hexdump", "hostid", "hostname", "httpd", "hwclock", "i2cdetect", "i2cdump", "i2cget", "i2cset", "i2ctransfer", "id", "ifconfig", "ifdown", "ifup", "init", "insmod", "install", "ionice", "ip", "ipcalc", "kill", "killall", "klogd", "last", "less", "link", "linux32", "linux64", "linuxrc", "ln", "loadfont", "loadkmap", "logger", "login", "logname", "logread", "losetup", "ls", "lsmod", "lsscsi", "lzcat", "lzma", "lzop", "md5sum", "mdev", "microcom", "mim", "mkdir", "mkdosfs", "mke2fs", "mkfifo", "mknod", "mkpasswd", "mkswap", "mktemp", "modinfo", "modprobe", "more", "mount", "mt", "mv", "nameif", "nbd-client", "nc", "netstat", "nl", "nologin", "nproc", "nsenter", "nslookup", "nuke", "od", "openvt", "partprobe", "passwd", "paste", "patch", "pidof", "ping", "ping6", "pivot_root", "poweroff", "printf", "ps", "pwd", "rdate", "readlink", "realpath", "reboot", "renice", "reset", "resume", "rev", "rm", "rmdir", "rmmod", "route", "rpm", "rpm2cpio", "run-init", "run-parts", "sed", "seq", "setkeycodes", "setpriv", "setsid", "sh", "sha1sum", "sha256sum", "sha3sum", "sha512sum", "shred", "shuf", "sleep", "sort", "ssl_client", "start-stop-daemon", "stat", "strings", "stty", "su", "sulogin", "svc", "svok", "swapoff", "swapon", "switch_root", "sync", "sysctl", "syslogd", "tac", "tail", "tar", "taskset", "tc", "tee", "telnet", "telnetd", "test", "tftp", "time", "timeout", "top", "touch", "tr", "traceroute", "traceroute6", "true", "truncate", "ts", "tty", "tunctl", "ubirename", "udhcpc", "udhcpc6", "udhcpd", "uevent", "umount", "uname", "uncompress", "unexpand", "uniq", "unix2dos", "unlink", "unlzma", "unshare", "unxz", "unzip", "uptime", "usleep", "uudecode", "uuencode", "vconfig", "vi", "w", "watch", "watchdog", "wc", "wget", "which", "who", "whoami", "xargs", "xxd", "xz", "xzcat", "yes", "zcat"],
}

DEBUG_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox",
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
]

# Upstream's distro-less tags (gcr.io/distroless/<repository>:<tag>) point at its default
# distribution; each is our variant suffix of an image of that distribution. private/
# upstream_tags.bzl makes the aliases.
DEFAULT_DISTRIBUTION = "debian13"

UPSTREAM_TAGS = {
    "latest": "",
    "nonroot": "_nonroot",
    "debug": "_debug",
    "debug-nonroot": "_debug_nonroot",
}

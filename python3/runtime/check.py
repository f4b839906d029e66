"""Runs inside a python3 image (python3/runtime_test): the interpreter, its native modules,
the CA bundle and a real TLS handshake. Prints "ok: ..." per check, "FAIL: ..." and exits 1 on
the first failure.

Usage: python3 check.py --python 3.X --uid UID --tls HOST:PORT --extra-ca CA.pem
                       [--find-library NAME=SONAME]
"""

import argparse
import json
import os
import pkgutil
import pwd
import socket
import ssl
import sqlite3
import subprocess
import sys
import tempfile
import warnings


def ok(what):
    print(f"ok: {what}", flush=True)


def fail(what):
    print(f"FAIL: {what}", flush=True)
    sys.exit(1)


def expect(cond, what):
    ok(what) if cond else fail(what)


# Modules a Debian python3.11 without the optional packages cannot import, and modules that
# must not be imported here (Windows only, tests, ones that act on import).
SKIP = {
    "_distutils_system_mod",  # Debian's hook into distutils.sysconfig, from python3-distutils
    "_ios_support",  # 3.13: iOS only
    "_pyrepl._minimal_curses",  # 3.13: a ctypes fallback for a curses that is present
    "_pyrepl.windows_console",
    "antigravity",  # opens a web browser
    "asyncio.windows_events",
    "asyncio.windows_utils",
    "ctypes.wintypes",
    "dbm.gnu",  # python3-gdbm
    "encodings.cp65001",
    "encodings.mbcs",
    "encodings.oem",
    "multiprocessing.popen_spawn_win32",
    "this",  # prints the Zen of Python
    "turtle",  # tkinter: python3-tk
    "unittest.__main__",
    "venv.__main__",
    "winreg",
}


def import_everything():
    failed = []
    imported = 0
    warnings.simplefilter("ignore", DeprecationWarning)

    def onerror(name):
        failed.append(f"{name} ({sys.exc_info()[1]!r})")

    for info in pkgutil.walk_packages(onerror=onerror):
        name = info.name
        if name in SKIP or name == "test" or name.startswith("test.") or name.startswith("distutils"):
            continue
        try:
            __import__(name)
            imported += 1
        except Exception as e:  # noqa: BLE001 - report every broken module
            failed.append(f"{name} ({e!r})")
    return imported, failed


def tls_get(context, host, port):
    with socket.create_connection((host, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as conn:
            conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return conn.version(), conn.recv(64).decode("latin-1")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--tls", required=True, help="HOST:PORT of a server with a certificate from --extra-ca")
    parser.add_argument("--extra-ca", required=True)
    parser.add_argument("--python", required=True, help="the expected MAJOR.MINOR")
    parser.add_argument("--find-library", action="append", default=[],
                        help="NAME=SONAME: ctypes.util.find_library(NAME) must find SONAME")
    opts = parser.parse_args()

    version = ".".join(map(str, sys.version_info[:2]))
    expect(version == opts.python, f"python {sys.version.split()[0]} at {sys.executable}")
    expect(os.getuid() == opts.uid, f"uid {os.getuid()} ({pwd.getpwuid(os.getuid()).pw_name})")
    expect(sys.getfilesystemencoding() == "utf-8" and sys.stdout.encoding == "utf-8",
           f"file system and stdout encoding utf-8 (LANG={os.environ.get('LANG')})")

    data = {"name": "h\u00e9llo", "values": [1, 2.5, None, True]}
    expect(json.loads(json.dumps(data)) == data, "json round trip")

    db = sqlite3.connect(":memory:")
    db.execute("create table t (k text primary key, v integer)")
    db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2)])
    total = db.execute("select sum(v) from t").fetchone()[0]
    expect(total == 3, f"sqlite3 {sqlite3.sqlite_version}: a query")

    import bz2, ctypes, ctypes.util, decimal, hashlib, lzma, uuid, zlib  # noqa: E401
    blob = b"distroless " * 100
    expect(zlib.decompress(zlib.compress(blob)) == blob and lzma.decompress(lzma.compress(blob)) == blob
           and bz2.decompress(bz2.compress(blob)) == blob, "zlib, lzma, bz2")
    expect(hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf"), "hashlib (OpenSSL) sha256")
    expect(ctypes.CDLL(None).getpid() == os.getpid(), "ctypes (libffi) calls getpid")
    expect(uuid.uuid4().version == 4 and decimal.Decimal("0.1") * 3 == decimal.Decimal("0.3"), "uuid, decimal")
    for request in opts.find_library:
        # On Linux, find_library runs /sbin/ldconfig -p (gcc and ld are not in the image),
        # which lists /etc/ld.so.cache.
        name, soname = request.split("=")
        found = ctypes.util.find_library(name)
        expect(found == soname, f"ctypes.util.find_library({name!r}) = {found!r}")
        expect(ctypes.CDLL(found)._handle != 0, f"ctypes.CDLL({found!r}) loads")

    if opts.python != "3.11" and os.access("/tmp", os.W_OK):
        import ensurepip, venv  # noqa: E401 - python3.13-venv's
        with tempfile.TemporaryDirectory(dir="/tmp") as d:
            venv.create(d, with_pip=False)
            rc = subprocess.run([f"{d}/bin/python", "-c", "import sys; assert sys.prefix != sys.base_prefix"]).returncode
            expect(rc == 0, f"venv: a virtual environment's python runs; ensurepip would install pip {ensurepip.version()}")

    try:
        subprocess.run("true", shell=True, check=False)
        fail("subprocess with shell=True found a /bin/sh")
    except FileNotFoundError:
        ok("no /bin/sh: subprocess shell=True fails")

    imported, failed = import_everything()
    expect(not failed, f"imported all {imported} standard library modules" +
           (f"; failed: {', '.join(failed)}" if failed else ""))

    context = ssl.create_default_context()
    stats = context.cert_store_stats()
    expect(stats["x509_ca"] > 100, f"{ssl.OPENSSL_VERSION}; CA bundle ({os.environ.get('SSL_CERT_FILE')}): "
           f"cert_store_stats {stats}")

    host, port = opts.tls.rsplit(":", 1)
    try:
        tls_get(context, host, int(port))
        fail("TLS handshake accepted a certificate from an unknown CA")
    except ssl.SSLCertVerificationError as e:
        ok(f"TLS to {opts.tls} refused before the test CA is added ({e.verify_message})")
    context.load_verify_locations(opts.extra_ca)
    version, reply = tls_get(context, host, int(port))
    expect(reply.startswith("HTTP/1.0 200"), f"tls handshake ({version}) and HTTP reply: {reply.splitlines()[0]!r}")
    print("ALL CHECKS PASSED", flush=True)


if __name__ == "__main__":
    main()

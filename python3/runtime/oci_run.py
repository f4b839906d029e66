"""Helpers for the families' runtime tests (python3/runtime_test, java/runtime_test): unpack a
built OCI layout with umoci, run it with runc, serve TLS on 127.0.0.1, and check that every ELF
object in a root file system finds its shared libraries there."""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

# Host commands the runtime tests need -> the Debian package that has them.
APT = {"umoci": "umoci", "runc": "runc", "openssl": "openssl", "readelf": "binutils"}


class Failed(Exception):
    pass


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, what, detail=""):
        line = f"{'ok' if ok else 'FAIL'}: {what}" + (f": {detail}" if detail else "")
        print(line, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(line)
        return ok


def run(cmd, check=True, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise Failed(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def install_missing(extra=None):
    """apt-get installs what is missing of APT (and `extra`, command -> package)."""
    wanted = dict(APT, **(extra or {}))
    missing = sorted({pkg for cmd, pkg in wanted.items() if not shutil.which(cmd)})
    if missing:
        print(f"installing {' '.join(missing)} (apt)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def ref_name(layout):
    index = json.loads((Path(layout) / "index.json").read_text())
    return index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]


def unpack(layout, bundle):
    """umoci unpack (it checks every digest, size and diff_id) of the layout's one image."""
    run(["umoci", "--log", "error", "unpack", "--image", f"{layout}:{ref_name(layout)}", bundle])
    return json.loads((Path(bundle) / "config.json").read_text())


def runc(bundle, args=None, extra_args=(), mounts=(), host_network=False, readonly=False, uid=None, env=()):
    """Runs the bundle with runc and returns (exit code, stdout + stderr).

    args replaces the image's entrypoint + cmd; extra_args are appended to them. mounts are
    (host path, container path) read-only bind mounts. host_network keeps the host's network
    namespace (for a server on 127.0.0.1). env adds NAME=value entries."""
    bundle = Path(bundle)
    path = bundle / "config.json"
    config = json.loads((bundle / "config.json.orig").read_text() if (bundle / "config.json.orig").exists()
                        else path.read_text())
    if not (bundle / "config.json.orig").exists():
        (bundle / "config.json.orig").write_text(json.dumps(config))
    process = config["process"]
    process["terminal"] = False
    if args is not None:
        process["args"] = [str(a) for a in args]
    process["args"] += [str(a) for a in extra_args]
    if uid is not None:
        process["user"] = {"uid": uid, "gid": uid}
    process["env"] = process.get("env", []) + list(env)
    config["root"]["readonly"] = readonly
    config["mounts"] += [{"destination": dest, "type": "bind", "source": str(src), "options": ["rbind", "ro"]}
                         for src, dest in mounts]
    if host_network:
        config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "network"]
    path.write_text(json.dumps(config))
    container = f"rdi-rt-{os.getpid()}-{time.monotonic_ns()}"
    try:
        proc = subprocess.run(["runc", "run", "-b", str(bundle), container], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600)
    finally:
        run(["runc", "delete", "-f", container], check=False)
    return proc.returncode, proc.stdout + proc.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tls_server(work):
    """openssl s_server -www on 127.0.0.1 with a certificate from a fresh test CA.

    Yields (port, CA certificate path)."""
    d = Path(work) / "tls"
    d.mkdir(parents=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    # The extensions Python 3.13's default context (VERIFY_X509_STRICT) requires.
    run(["openssl", "req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "2",
         "-subj", "/CN=rules_debimage runtime test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", "subjectKeyIdentifier=hash"])
    run(["openssl", "req", *ec, "-keyout", d / "server.key", "-out", d / "server.csr", "-subj", "/CN=127.0.0.1"])
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\nkeyUsage=critical,digitalSignature\n"
                           "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n"
                           "authorityKeyIdentifier=keyid\n")
    run(["openssl", "x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
         "-CAcreateserial", "-out", d / "server.pem", "-days", "2", "-extfile", d / "ext"])
    port = free_port()
    log = open(d / "s_server.log", "w")
    proc = subprocess.Popen(["openssl", "s_server", "-quiet", "-www", "-accept", f"127.0.0.1:{port}",
                             "-cert", d / "server.pem", "-key", d / "server.key"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise Failed(f"openssl s_server did not start: {(d / 's_server.log').read_text()}")
            time.sleep(0.2)
        yield port, d / "ca.pem"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        log.close()


def unresolved_libraries(rootfs, triplet, also_loaded=()):
    """ELF objects of rootfs whose DT_NEEDED libraries are not in the image.

    Looks where ld.so would (RUNPATH/RPATH with $ORIGIN, then the multiarch and plain lib
    directories), following symlinks inside rootfs. `also_loaded` are sonames a process has
    loaded before (e.g. libjvm.so, which the JVM's own libraries need but do not locate).
    Returns (number of ELF objects, {object: [missing sonames]})."""
    rootfs = Path(rootfs)
    dirs = [f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib", "/lib64", "/usr/lib64"]

    def exists(path):
        # Resolve inside rootfs: absolute symlink targets are relative to the image's root.
        p = Path("/")
        parts = list(Path(path).parts[1:])
        for _ in range(200):
            if not parts:
                return (rootfs / p.relative_to("/")).exists()
            part = parts.pop(0)
            candidate = rootfs / (p / part).relative_to("/")
            if candidate.is_symlink():
                target = os.readlink(candidate)
                parts = list(Path(target).parts[1:] if target.startswith("/") else Path(target).parts) + parts
                p = Path("/") if target.startswith("/") else p
            elif part == "..":
                p = p.parent
            else:
                p = p / part
        return False

    elfs = []
    for path in rootfs.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    elfs.append(path)
    missing = {}
    for path in elfs:
        out = run(["readelf", "-d", "-W", path], check=False).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)
        inside = "/" + str(path.relative_to(rootfs))
        search = []
        for runpath in re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[(.+?)\]", out):
            search += [d.replace("$ORIGIN", os.path.dirname(inside)) for d in runpath.split(":")]
        gone = [n for n in needed if n not in also_loaded
                and not any(exists(os.path.normpath(os.path.join(d, n))) for d in search + dirs)]
        if gone:
            missing[inside] = gone
    return len(elfs), missing

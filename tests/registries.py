"""What tests/push/run and tests/release/run share: real registries on 127.0.0.1 and the tools
that read them (crane, Debian's docker-registry, cosign), installed once under
$RULES_DEBIMAGE_HOME/e2e-tools.

Registries: `crane registry serve` (go-containerregistry; anonymous, plain HTTP, blobs on disk)
and Debian's `docker-registry` (distribution 2.8; htpasswd, plain or TLS). crane and cosign come
from Debian sid, verified: sid's InRelease with gpgv and Debian's keyring, then Packages.xz by
its signed SHA256, then the .deb by the SHA256 Packages lists (as tests/runtime/run does).
"""

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOME = Path(os.environ.get("RULES_DEBIMAGE_HOME", "/var/cache/rules_debimage"))
TOOLS = HOME / "e2e-tools"
SID = "https://deb.debian.org/debian"
APT_PACKAGES = {"skopeo": "skopeo", "htpasswd": "apache2-utils", "openssl": "openssl",
                "curl": "curl", "gpgv": "gpgv", "xz": "xz-utils"}
APT_FILES = {"/usr/share/keyrings/debian-archive-keyring.gpg": "debian-archive-keyring"}
# Binaries taken from sid packages: tool -> (package, path in the package).
SID_BINARIES = {"crane": ("crane", "usr/bin/crane"), "cosign": ("cosign", "usr/bin/cosign")}


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

    def finish(self, name, t0):
        print(f"{name}: {self.passed} checks passed, {len(self.failed)} failed, "
              f"{time.monotonic() - t0:.0f} s")
        for line in self.failed:
            print(line)
        return 1 if self.failed else 0


def run(cmd, check=True, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise Failed(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what, ready, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise Failed(f"{what} did not start within {seconds} s")


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --- tools ------------------------------------------------------------------------------------


def install_tools():
    """apt packages, docker-registry's binary, crane and cosign: each only when missing."""
    missing = sorted({p for c, p in APT_PACKAGES.items() if not shutil.which(c)} |
                     {p for f, p in APT_FILES.items() if not Path(f).exists()})
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if missing:
        print(f"installing {' '.join(missing)} (apt)", flush=True)
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
    TOOLS.mkdir(parents=True, exist_ok=True)
    if not (TOOLS / "docker-registry").exists():
        install_docker_registry(env)
    wanted = [tool for tool in SID_BINARIES if not (TOOLS / tool).exists()]
    if wanted:
        install_from_sid(wanted)


def install_docker_registry(env):
    """The registry binary from Debian's docker-registry package, without installing the
    package (whose postinst would start a registry on :5000). apt verifies the download."""
    print("installing docker-registry (Debian package, binary only)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)  # apt's download sandbox user writes here
        if run(["apt-get", "download", "docker-registry"], check=False, cwd=tmp, env=env).returncode:
            run(["apt-get", "update", "-qq"], env=env)
            run(["apt-get", "download", "docker-registry"], cwd=tmp, env=env)
        deb = next(tmp.glob("docker-registry_*.deb"))
        run(["dpkg-deb", "-x", deb, tmp / "x"])
        shutil.copy(tmp / "x/usr/bin/docker-registry", TOOLS / "docker-registry.partial")
        os.rename(TOOLS / "docker-registry.partial", TOOLS / "docker-registry")


def install_from_sid(tools):
    """Binaries from Debian sid packages, verified: signed InRelease -> Packages.xz -> each
    .deb's sha256. (Both need only libc6 >= 2.34: they run on bookworm.)"""
    print(f"installing {', '.join(tools)} (Debian sid packages, verified with gpgv)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run(["curl", "-fsSL", "-o", tmp / "InRelease", f"{SID}/dists/sid/InRelease"])
        run(["gpgv", "--keyring", "/usr/share/keyrings/debian-archive-keyring.gpg", tmp / "InRelease"])
        signed = (tmp / "InRelease").read_text().split("\nSHA256:\n", 1)[1]
        match = re.search(r"^ ([0-9a-f]{64}) +\d+ main/binary-amd64/Packages\.xz$", signed, re.M)
        if not match:
            raise Failed("sid InRelease lists no main/binary-amd64/Packages.xz")
        index = tmp / "Packages.xz"
        run(["curl", "-fsSL", "-o", index, f"{SID}/dists/sid/main/binary-amd64/by-hash/SHA256/{match[1]}"])
        if sha256_file(index) != match[1]:
            raise Failed("sid Packages.xz does not match its signed SHA256")
        stanzas = run(["xz", "-dc", index]).stdout.split("\n\n")
        for tool in tools:
            package, path = SID_BINARIES[tool]
            stanza = next((s for s in stanzas if s.startswith(f"Package: {package}\n")), None)
            if not stanza:
                raise Failed(f"no {package} package in sid")
            fields = dict(re.findall(r"^(Filename|SHA256|Version): (\S+)$", stanza, re.M))
            deb = tmp / f"{package}.deb"
            run(["curl", "-fsSL", "-o", deb, f"{SID}/{fields['Filename']}"])
            if sha256_file(deb) != fields["SHA256"]:
                raise Failed(f"{fields['Filename']}: sha256 differs from sid's signed index")
            run(["dpkg-deb", "-x", deb, tmp / package])
            shutil.copy(tmp / package / path, TOOLS / f"{tool}.partial")
            os.rename(TOOLS / f"{tool}.partial", TOOLS / tool)
            print(f"  {tool}: {package} {fields['Version']}", flush=True)


# --- registries -------------------------------------------------------------------------------


class Registries(contextlib.ExitStack):
    """Registries started for a run and stopped at its end; logs in `work`."""

    def __init__(self, work):
        super().__init__()
        self.work = work

    def start(self, name, cmd):
        log = open(self.work / f"{name}.log", "w")
        proc = subprocess.Popen([str(c) for c in cmd], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

        def stop():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()

        self.callback(stop)
        return proc

    def crane(self, name="crane"):
        """`crane registry serve`, blobs on disk (a release is gigabytes)."""
        port = free_port()
        disk = self.work / f"{name}-blobs"
        disk.mkdir()
        self.start(name, [TOOLS / "crane", "registry", "serve", "--address", f"127.0.0.1:{port}",
                          "--disk", disk])
        wait_for("crane registry serve", lambda: port_open(port))
        return f"127.0.0.1:{port}"

    def distribution(self, name, htpasswd, tls=None):
        port = free_port()
        config = {
            "version": 0.1,
            "log": {"level": "info"},
            "storage": {"filesystem": {"rootdirectory": str(self.work / f"{name}-storage")}},
            "http": {"addr": f"127.0.0.1:{port}", "secret": "push-test"},
            "auth": {"htpasswd": {"realm": "push-test", "path": str(htpasswd)}},
        }
        if tls:
            config["http"]["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
        path = self.work / f"{name}.yml"
        path.write_text(json.dumps(config))  # JSON is YAML
        self.start(name, [TOOLS / "docker-registry", "serve", path])
        wait_for(f"docker-registry ({name})", lambda: port_open(port))
        return f"127.0.0.1:{port}"


def blob_uploads(log):
    """Blob uploads a registry's log records: distribution's and crane's lines for the PUT that
    completes an upload (POST .../blobs/uploads/ starts one, PUT ...?digest= ends it)."""
    text = Path(log).read_text(errors="replace")
    return len(re.findall(r'(?:"|\s)PUT\s+/v2/\S+/blobs/uploads/\S*digest=', text) +
               re.findall(r'http\.request\.method=PUT http\.request\.remoteaddr=\S+ '
                          r'http\.request\.uri="/v2/[^"]+/blobs/uploads/[^"]*digest=', text))


def make_tls(work):
    """A CA and a certificate for 127.0.0.1 signed by it."""
    d = work / "tls"
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem",
         "-days", "2", "-subj", "/CN=rules_debimage push-test CA"])
    run(["openssl", "req", *ec, "-keyout", d / "server.key", "-out", d / "server.csr", "-subj", "/CN=127.0.0.1"])
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
         "-CAcreateserial", "-out", d / "server.pem", "-days", "2", "-extfile", d / "ext"])
    # skopeo's --cert-dir takes CA certificates named *.crt.
    (d / "skopeo").mkdir()
    shutil.copy(d / "ca.pem", d / "skopeo" / "ca.crt")
    return d


def docker_config(work, name, registries, user, password):
    """A docker config directory whose auths hold user:password for each registry."""
    d = work / name
    d.mkdir()
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (d / "config.json").write_text(json.dumps({"auths": {r: {"auth": auth} for r in registries}}))
    return d


# --- cosign -----------------------------------------------------------------------------------


def cosign_keys(work, password):
    """A key pair made by cosign itself (its encrypted format) in work/cosign.{key,pub}."""
    env = dict(os.environ, COSIGN_PASSWORD=password)
    run([TOOLS / "cosign", "generate-key-pair", "--output-key-prefix", work / "cosign"], env=env)
    return work / "cosign.key", work / "cosign.pub"


def openssl_keys(work, name):
    """An ECDSA P-256 key in PEM (SEC1) and its public key."""
    key, pub = work / f"{name}.pem", work / f"{name}.pub"
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
    run(["openssl", "ec", "-in", key, "-pubout", "-out", pub])
    return key, pub


def cosign_verify(refs, pub, *args, env=None):
    """`cosign verify --key PUB --insecure-ignore-tlog REF...`: (exit status, output). Offline:
    the signatures were never in a transparency log."""
    proc = run([TOOLS / "cosign", "verify", "--key", pub, "--insecure-ignore-tlog", "--output", "json",
                *args, *refs], check=False, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def cosign_verify_spdx(refs, pub, *args, env=None):
    """`cosign verify-attestation --type spdxjson ...`: (exit status, stdout, stderr); stdout
    has one DSSE envelope (JSON) per verified attestation."""
    proc = run([TOOLS / "cosign", "verify-attestation", "--type", "spdxjson", "--key", pub,
                "--insecure-ignore-tlog", *args, *refs], check=False, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def attested_predicates(stdout):
    """The in-toto statements of the envelopes cosign verify-attestation printed."""
    statements = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            envelope = json.loads(line)
            statements.append(json.loads(base64.b64decode(envelope["payload"])))
    return statements

"""Reading debimage-lock lockfiles: fields checked, then the hub's BUILD files written.

The same rules as tools/lock/src/fields.rs (Debian Policy 5.6.1 names, 5.6.12 versions),
since a lockfile is a file anyone can edit or a pull request can change. Each check returns
None or a message; `lockfile_errors` names the lockfile and the package.
"""

SUPPORTED_LOCKFILE_VERSION = 1

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_ALNUM = _LOWER + _LOWER.upper() + _DIGITS
_HEX = _DIGITS + "abcdef"

# Printable ASCII a URL may hold (RFC 3986 unreserved, reserved and %), without quotes,
# backslashes, spaces and <>{}|^`.
_URL_CHARS = _ALNUM + "-._~:/?#[]@!$&'()*+,;=%"

def _only(text, allowed):
    for c in text.elems():
        if c not in allowed:
            return False
    return True

def _check_package_name(name):
    """A Debian package name: 2 to 128 of a-z, 0-9, + - ., starting with a-z or 0-9."""
    if type(name) != "string" or len(name) < 2 or len(name) > 128:
        return "a package name has 2 to 128 characters"
    if name[0] not in _LOWER + _DIGITS or not _only(name, _LOWER + _DIGITS + "+-."):
        return "a package name has only a-z, 0-9, +, - and ., and starts with a-z or 0-9"
    return None

def _check_version(version):
    """A Debian version: [epoch:]upstream_version[-debian_revision] (Policy 5.6.12)."""
    if type(version) != "string" or len(version) < 1 or len(version) > 256:
        return "a version has 1 to 256 characters"
    rest = version
    if ":" in version:
        epoch, rest = version.split(":", 1)
        if not epoch or len(epoch) > 9 or not _only(epoch, _DIGITS):
            return "the epoch (before ':') is a number"
    upstream, revision = rest, None
    if "-" in rest:
        upstream, revision = rest.rsplit("-", 1)
    if not upstream or upstream[0] not in _DIGITS:
        return "the upstream version starts with a digit"
    if not _only(upstream, _ALNUM + ".+~" + ("-" if revision != None else "")):
        return "the upstream version has only letters, digits and . + ~ (and - before a revision)"
    if revision != None and (not revision or not _only(revision, _ALNUM + ".+~")):
        return "the revision (after the last '-') is letters, digits and . + ~"
    return None

def _check_architecture(arch):
    """A Debian architecture name: 1 to 32 of a-z, 0-9 and -, not starting with -."""
    if type(arch) != "string" or not arch or len(arch) > 32 or arch[0] == "-" or not _only(arch, _LOWER + _DIGITS + "-"):
        return "an architecture is 1 to 32 of a-z, 0-9 and -"
    return None

def _check_sha256(text):
    """64 lower-case hex digits."""
    if type(text) != "string" or len(text) != 64 or not _only(text, _HEX):
        return "a sha256 is 64 lower-case hex digits"
    return None

def _check_word(text):
    """A suite or set name: 1 to 128 letters, digits, -, _ and ."""
    if type(text) != "string" or not text or len(text) > 128 or not _only(text, _ALNUM + "-_."):
        return "letters, digits, -, _ and ."
    return None

def _check_suite(text):
    """A suite name (as _check_word), or a flat repository's directory: ./ or word/.../."""
    if type(text) != "string" or not text or len(text) > 128:
        return _SUITE_RULE
    if not text.endswith("/"):
        return _SUITE_RULE if _check_word(text) else None
    if text == "./":
        return None
    for part in text[:-1].split("/"):
        if part in (".", "..") or _check_word(part):
            return _SUITE_RULE
    return None

_SUITE_RULE = "a suite is letters, digits, -, _ and . (or, for a flat repository, ./ or a relative directory ending in /)"

def _check_url(url):
    """An http(s) URL of printable ASCII, no quotes or spaces, no . or .. path segments."""
    if type(url) != "string" or len(url) > 2048:
        return "a URL is a string of at most 2048 characters"
    if url.startswith("https://"):
        rest = url[len("https://"):]
    elif url.startswith("http://"):
        rest = url[len("http://"):]
    else:
        return "a URL is http:// or https://"
    if not rest or not _only(url, _URL_CHARS):
        return "a URL is printable ASCII without quotes, backslashes, <>{}|^` or spaces"
    path = rest.split("?")[0].split("#")[0]
    if "@" in path.split("/")[0]:
        return "a URL has no user:password@ (use a netrc file or a credential helper)"
    for segment in path.split("/")[1:]:
        if segment in (".", ".."):
            return "a URL has no . or .. path segments"
    return None

def _check_string_list(value, check):
    if type(value) != "list":
        return "a list of strings"
    for v in value:
        problem = check(v)
        if problem:
            return "%r: %s" % (v, problem)
    return None

def _check_depends(value):
    return _check_string_list(value, _check_package_name)

def _check_sets(value):
    return _check_string_list(value, _check_word)

def _check_size(value):
    return None if type(value) == "int" and value >= 0 else "a size is a number of bytes"

def _check_urls(value):
    if type(value) == "list" and not value:
        return "at least one URL"
    return _check_string_list(value, _check_url)

# Field -> check, for each package entry.
_PACKAGE_FIELDS = {
    "arch": _check_architecture,
    "depends": _check_depends,
    "for_arch": _check_architecture,
    "name": _check_package_name,
    "sets": _check_sets,
    "sha256": _check_sha256,
    "size": _check_size,
    "source": _check_package_name,
    "suite": _check_suite,
    "urls": _check_urls,
    "version": _check_version,
}

def lockfile_errors(data, origin):
    """What is wrong with a decoded lockfile, or None.

    Args:
      data: the lockfile's decoded JSON.
      origin: names the lockfile in messages.

    Returns:
      None, or a message naming the lockfile, the package and the field.
    """
    if type(data) != "dict":
        return "%s: not a JSON object" % origin
    version = data.get("lockfile_version")
    if version != SUPPORTED_LOCKFILE_VERSION:
        return "%s: lockfile_version %s, expected %s" % (origin, version, SUPPORTED_LOCKFILE_VERSION)
    distribution = data.get("distribution")
    if _check_word(distribution) or not _only(distribution, _ALNUM + "_"):
        return "%s: distribution %r: letters, digits and _" % (origin, distribution)
    packages = data.get("packages")
    if type(packages) != "list":
        return "%s: packages: a list" % origin
    seen = {}
    for index, p in enumerate(packages):
        if type(p) != "dict":
            return "%s: packages[%d]: not a JSON object" % (origin, index)
        label = "%s %s for %s" % (p.get("name"), p.get("version"), p.get("for_arch"))
        for field in sorted(_PACKAGE_FIELDS):
            if field not in p:
                return "%s: package %s: no %s" % (origin, label, field)
            problem = _PACKAGE_FIELDS[field](p[field])
            if problem:
                return "%s: package %s: bad %s %r: %s" % (origin, label, field, p[field], problem)
        if p["arch"] not in ("all", p["for_arch"]):
            return "%s: package %s: bad arch %r: a package file is for its for_arch or for all" % (origin, label, p["arch"])
        key = (p["name"], p["for_arch"])
        if key in seen:
            return "%s: package %s: listed twice for %s" % (origin, label, p["for_arch"])
        seen[key] = True
    return None

def repo_safe(text):
    """Maps a package name or version to characters a repository name may hold."""
    return "".join([c if c.isalnum() or c in "_-." else "_" for c in text.elems()])

def spoke_name(distribution, package):
    """The repository name of one package's download."""
    return "%s__%s__%s" % (distribution, repo_safe(package["name"]), package["for_arch"])

def hub_build_files(distribution, packages):
    """BUILD file text per package directory of the hub, plus //sets.

    Every value is written with repr(), so that no string of a lockfile can change the
    BUILD file's structure (the fields are also validated: lockfile.bzl).

    Args:
      distribution: the hub's name.
      packages: the lockfile's package entries.

    Returns:
      A dict from path (`<package>/BUILD.bazel`, `sets/BUILD.bazel`) to text.
    """
    by_name = {}
    sets = {}
    for p in packages:
        by_name.setdefault(p["name"], []).append(p)
        for s in p["sets"]:
            sets.setdefault("%s_%s" % (s, p["for_arch"]), []).append(p)
    files = {}
    for name, entries in by_name.items():
        lines = [
            "load(%r, \"deb_package\")" % str(Label("//private:deb_package.bzl")),
            "",
            "package(default_visibility = [\"//visibility:public\"])",
        ]
        for p in entries:
            lines.append("""
deb_package(
    name = {arch},
    arch = {file_arch},
    deb = {deb},
    depends = {depends},
    package = {name},
    sha256 = {sha256},
    urls = {urls},
    version = {version},
)""".format(
                arch = repr(p["for_arch"]),
                file_arch = repr(p["arch"]),
                deb = repr("@%s//file" % spoke_name(distribution, p)),
                depends = repr(p["depends"]),
                name = repr(name),
                sha256 = repr(p["sha256"]),
                urls = repr(p["urls"]),
                version = repr(p["version"]),
            ))
        files[name + "/BUILD.bazel"] = "\n".join(lines) + "\n"
    set_lines = ["package(default_visibility = [\"//visibility:public\"])"]
    for set_name in sorted(sets):
        set_lines.append("""
filegroup(
    name = {name},
    srcs = {srcs},
)""".format(
            name = repr(set_name),
            srcs = repr(sorted(["//%s:%s" % (p["name"], p["for_arch"]) for p in sets[set_name]])),
        ))
    files["sets/BUILD.bazel"] = "\n".join(set_lines) + "\n"
    return files

"""Module extensions of rules_debimage.

    debian = use_extension("@rules_debimage//distroless:extensions.bzl", "debian")
    debian.lock(name = "debian12", lockfile = "//debian:debian12.lock.json")
    use_repo(debian, "debian12")

Then `@debian12//libc6:amd64` is that package for amd64 (a `deb_package`, usable wherever a
.deb is), and `@debian12//sets:base_arm64` every package of the `base` set for arm64. Each .deb
is downloaded, pinned by sha256, only when a build needs it.

Authenticated sources: a lockfile holds no credentials (the lock tool refuses URLs with
`user:password@`). Each download sends, for its URL's host, the login and password of a netrc
file: the tag's `netrc`, else `$NETRC`, else `~/.netrc` (with `auth_patterns` for other
schemes than basic, e.g. a bearer token). Bazel's credential helpers
(`--credential_helper=deb.example.com=/path/to/helper` in a `.bazelrc`) apply to these
downloads by themselves, with no attribute.
"""

load("//private:debian_extension.bzl", _debian = "debian")

debian = _debian

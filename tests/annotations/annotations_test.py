#!/usr/bin/env python3
"""The annotations of our layouts as skopeo reads them (`skopeo inspect --raw`: the index or
manifest as stored; `skopeo inspect`: the digest and the config's Labels).

- tests/annotations' own images: `plain` (no source given) has none but, on `app`, the
  base's: `app`'s manifests have the source, title and base.name given, base.digest equal to
  the digest skopeo reports for `plain`'s image of the same architecture, and the Java version
  of each architecture's openjdk-17-jre-headless in the lock; its index has the source and
  title only. `released` and its base, built with the revision flag: their indexes and
  manifests have it.
- the families: source on every image and index, base.digest of each on its parent, the
  runtime versions of python3, java17 and nodejs20 from the locks; no revision (the flag is
  unset); none of them in the config's Labels.
- an image on an oci_layout_image of a layout skopeo wrote: base.digest is that image's digest
  as skopeo reports it in its own layout.
"""
import argparse
import json
import os
import subprocess
import sys

SOURCE = "org.opencontainers.image.source"
REVISION = "org.opencontainers.image.revision"
BASE_DIGEST = "org.opencontainers.image.base.digest"
BASE_NAME = "org.opencontainers.image.base.name"
TITLE = "org.opencontainers.image.title"
PYTHON = "com.google.distroless.python.version"
JAVA = "com.google.distroless.java.version"
NODEJS = "com.google.distroless.nodejs.version"

failures = []


def check(what, got, expected):
    if got == expected:
        print(f"ok: {what}: {got!r}")
    else:
        failures.append(what)
        print(f"FAIL: {what}: {got!r}, expected {expected!r}")


def skopeo(layout, raw):
    with open(os.path.join(layout, "index.json")) as f:
        tag = json.load(f)["manifests"][0].get("annotations", {}).get("org.opencontainers.image.ref.name")
    # Untagged (an oci_layout_image without `tag`): the layout's only image.
    reference = f"oci:{layout}:{tag}" if tag else f"oci:{layout}"
    args = ["skopeo", "inspect"] + (["--raw"] if raw else []) + [reference]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def annotations(layout):
    return skopeo(layout, raw=True).get("annotations", {})


def digest(layout):
    return skopeo(layout, raw=False)["Digest"]


def upstream_version(lock, package, arch):
    """The lock's version of the package, less epoch, Debian revision and any +/~ part."""
    with open(lock) as f:
        versions = [p["version"] for p in json.load(f)["packages"] if p["name"] == package and p["for_arch"] == arch]
    if len(versions) != 1:
        sys.exit(f"{lock}: {len(versions)} entries for {package} on {arch}")
    version = versions[0].partition(":")[2] or versions[0]
    version = version.rpartition("-")[0] or version
    for mark in "+~":
        version = version.split(mark)[0]
    return version


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--debian12-lock", required=True)
    parser.add_argument("--debian13-lock", required=True)
    parser.add_argument("--revision", required=True)
    parser.add_argument("--layout", action="append", required=True)
    parser.add_argument("revision_layouts", nargs="+")
    args = parser.parse_args()
    layouts = dict(layout.split("=", 1) for layout in args.layout)
    released = {os.path.basename(path): path for path in args.revision_layouts}

    for arch in ["amd64", "s390x"]:
        plain = layouts[":plain_" + arch]
        check(f"plain_{arch} manifest", annotations(plain), {})
        check(
            f"app_{arch} manifest",
            annotations(layouts[":app_" + arch]),
            {
                BASE_DIGEST: digest(plain),
                BASE_NAME: "registry.example/plain:latest-" + arch,
                JAVA: upstream_version(args.debian12_lock, "openjdk-17-jre-headless", arch),
                SOURCE: "https://example.org/app",
                TITLE: "app",
            },
        )
        check(
            f"released_{arch} manifest (revision flag)",
            annotations(released["released_" + arch]),
            {
                BASE_DIGEST: digest(released["released_base_" + arch]),
                REVISION: args.revision,
                SOURCE: "https://example.org/app",
            },
        )
        check(f"released_base_{arch} manifest (revision flag)", annotations(released["released_base_" + arch]), {REVISION: args.revision})
    check("plain index", annotations(layouts[":plain"]), {})
    check("app index", annotations(layouts[":app"]), {SOURCE: "https://example.org/app", TITLE: "app"})
    check("released index (revision flag)", annotations(released["released"]), {REVISION: args.revision, SOURCE: "https://example.org/app"})

    src = {SOURCE: args.source_url}
    check("//static:debian12 index", annotations(layouts["//static:debian12"]), src)
    families = [
        # image, its base, its runtime version annotation
        ("//static:debian12_amd64", None, {}),
        ("//base:debian12_amd64", "//static:debian12_amd64", {}),
        ("//cc:debian12_amd64", "//base:debian12_amd64", {}),
        ("//python3:debian12_amd64", "//cc:debian12_amd64", {PYTHON: upstream_version(args.debian12_lock, "python3.11-minimal", "amd64")}),
        ("//java:java17_debian12_amd64", "//base:debian12_amd64", {JAVA: upstream_version(args.debian12_lock, "openjdk-17-jre-headless", "amd64")}),
        ("//nodejs:nodejs20_debian13_amd64", "//cc:debian13_amd64", {NODEJS: upstream_version(args.debian13_lock, "nodejs", "amd64")}),
    ]
    for image, base, version in families:
        expected = dict(src, **version)
        if base:
            expected[BASE_DIGEST] = digest(layouts[base])
        check(image + " manifest", annotations(layouts[image]), expected)
    # On an oci_layout_image: the digest of the image it took, the same as in skopeo's layout.
    foreign = digest(layouts["//tests/foreign_base:from_docker_archive"])
    check("//tests/foreign_base:docker_archive_base digest", digest(layouts["//tests/foreign_base:docker_archive_base"]), foreign)
    check("//tests/foreign_base:app_amd64 manifest", annotations(layouts["//tests/foreign_base:app_amd64"]), {BASE_DIGEST: foreign})
    for image, _, _ in families:
        check(image + " config Labels", skopeo(layouts[image], raw=False).get("Labels"), None)

    if failures:
        sys.exit(f"{len(failures)} check(s) failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()

"""Public API of rules_debimage: build distroless images from Debian packages.

Load from `@rules_debimage//distroless:defs.bzl`. Every rule and macro here makes one layer
(a `LayerInfo`: gzip tar, digests, listing) except where it says otherwise.
"""

load("//private:accounts_layer.bzl", _accounts_layer = "accounts_layer")
load("//private:cacerts_layer.bzl", _cacerts_layer = "cacerts_layer")
load("//private:cc_deb_library.bzl", _cc_deb_library = "cc_deb_library")
load("//private:deb_layer.bzl", _deb_layer = "deb_layer")
load("//private:deb_package.bzl", _DebInfo = "DebInfo")
load("//private:docker_archive.bzl", _docker_archive = "docker_archive")
load("//private:files_layer.bzl", _files_layer = "files_layer")
load("//private:flatten.bzl", _flatten = "flatten")
load("//private:image_sbom.bzl", _image_sbom = "image_sbom")
load("//private:image_test.bzl", "image_structure_test")
load("//private:java_keystore.bzl", _java_keystore = "java_keystore")
load("//private:ld_so_cache.bzl", _ld_so_cache = "ld_so_cache")
load("//private:locale.bzl", _locale = "locale")
load("//private:oci_image.bzl", _oci_image = "oci_image")
load("//private:oci_index.bzl", _oci_index = "oci_index")
load("//private:oci_layout_image.bzl", _oci_layout_image = "oci_layout_image")
load("//private:oci_push.bzl", _oci_push = "oci_push")
load("//private:platforms.bzl", "PLATFORM_CPUS", "oci_platform", "platform_setting")
load("//private:providers.bzl", _ImageInfo = "ImageInfo", _IndexInfo = "IndexInfo", _LayerInfo = "LayerInfo")
load("//private:tar_layer.bzl", _tar_layer = "tar_layer")

DebInfo = _DebInfo
ImageInfo = _ImageInfo
IndexInfo = _IndexInfo
LayerInfo = _LayerInfo
deb_layer = _deb_layer
docker_archive = _docker_archive
flatten = _flatten
image_sbom = _image_sbom
java_keystore = _java_keystore
ld_so_cache = _ld_so_cache
locale = _locale
oci_image = _oci_image
oci_index = _oci_index
oci_layout_image = _oci_layout_image
oci_push = _oci_push
tar_layer = _tar_layer

def distroless_image(
        name,
        architectures,
        layers = [],
        base = None,
        env = [],
        user = None,
        workdir = None,
        entrypoint = [],
        cmd = [],
        labels = {},
        annotations = {},
        source = None,
        base_name = None,
        version_annotations = {},
        exposed_ports = [],
        tag = "latest",
        repository = None,
        lock = None,
        **kwargs):
    """An image per architecture, their multi-platform index, and docker-archive tarballs.

    Creates, for each Debian architecture `A` (OCI name `O`: amd64, arm64, arm, s390x, ppc64le):
    `<name>_O` (an OCI image layout directory), `<name>_O_tar` (a `docker load` tarball
    tagged `<repository>:<tag>-O`) and `<name>_O_sbom` (SPDX 2.3 JSON); and `<name>`, the OCI
    image index over all of them, with `<name>_sbom` covering every platform; and
    `<name>_for_platform`, an alias of the image for the target platform (`--platforms`: Linux
    on `@platforms//cpu:x86_64`, `aarch64`/`arm64`, `armv7`/`arm`, `s390x`, `ppc64le`,
    `riscv64`, `i386`/`x86_32`), which is what rules_oci's `oci_image(base = ...)` takes; a
    platform outside `architectures` is an error naming the ones there are. `<name>_push` and
    `<name>_O_push` push the index or one image: `bazel run :<name>_push -- REGISTRY/REPO:TAG`
    (see `oci_push`; tagged `manual`, so `//...` does not build them); with `--key`, they sign
    it and attest its SBOM.

    Annotations (where upstream distroless and the OCI image spec put them): each image's
    manifest has `annotations`, `source`, `base_name`, `version_annotations` and, on a base,
    `org.opencontainers.image.base.digest`; the index has `annotations` and `source`. With
    `--@rules_debimage//distroless:revision=COMMIT`, the images and indexes of the main
    repository (the module being built, not the modules it depends on) also have
    `org.opencontainers.image.revision`. None of them goes into the config's Labels, which
    images built on this one would inherit.

    `{arch}` in `base` and `layers` is replaced by the Debian architecture and `{oci_arch}` by
    the OCI one, so that `":libc6_{arch}"` picks each architecture's package layer and
    `"//static:debian12_{oci_arch}"` each architecture's base image.

    Args:
      name: target name of the index.
      architectures: Debian architectures: amd64, arm64, armhf, s390x, ppc64el, riscv64, i386.
      layers: layer targets (LayerInfo), bottom first; may contain `{arch}`.
      base: the base image per architecture: a label with `{arch}`/`{oci_arch}`, or a dict
        Debian architecture -> label; one of our images, or an `oci_layout_image` (an image
        made elsewhere, e.g. by rules_oci).
      env: NAME=value entries; a name given here replaces the base image's.
      user: user (and group) the container runs as, e.g. "65532".
      workdir: working directory.
      entrypoint: entrypoint; an empty list keeps the base image's.
      cmd: command; an empty list keeps the base image's (reset by a new entrypoint).
      labels: image config labels (inherited by images built on this one).
      annotations: manifest and index annotations.
      source: `org.opencontainers.image.source` of the images and the index: the URL of their
        source, e.g. your repository (this repository's images have its URL). None: none.
      base_name: `org.opencontainers.image.base.name` of each image: a reference to its base
        image (e.g. `gcr.io/distroless/cc-debian12:nonroot`; may contain `{arch}`/`{oci_arch}`);
        only with a `base`. An image on a base always has `org.opencontainers.image.base.digest`,
        the base manifest's digest.
      version_annotations: manifest annotation -> a locked package (may contain `{arch}`, e.g.
        `{"com.google.distroless.python.version": "@debian12//python3.11-minimal:{arch}"}`):
        the annotation is that package's upstream version as the lock has it (`3.11.2` of
        `3.11.2-6+deb12u9`). Each architecture's image has its own package's.
      exposed_ports: e.g. ["8080/tcp"].
      tag: the tag recorded in the layouts' index.json.
      repository: the repository in docker-archive tags; default: the package path.
      lock: the lockfile the Debian packages came from (adds their sha256 and URL to the SBOMs).
      **kwargs: common attributes (visibility, tags, testonly).
    """
    repository = repository or native.package_name() or name
    push_kwargs = dict(kwargs, tags = kwargs.get("tags", []) + ["manual"])
    images = []
    for_platform = {}
    for arch in architectures:
        oci_arch, variant = oci_platform(arch)
        image = "%s_%s" % (name, oci_arch)
        expand = lambda text: text.format(arch = arch, oci_arch = oci_arch)
        image_base = base.get(arch) if type(base) == "dict" else (expand(base) if base else None)
        _oci_image(
            name = image,
            annotations = annotations,
            architecture = oci_arch,
            base = image_base,
            base_name = expand(base_name) if base_name else None,
            cmd = cmd,
            entrypoint = entrypoint,
            env = env,
            exposed_ports = exposed_ports,
            labels = labels,
            layers = [expand(layer) for layer in layers],
            tag = "%s-%s" % (tag, oci_arch),
            source = source,
            user = user,
            variant = variant,
            version_annotations = {expand(package): key for key, package in version_annotations.items()},
            workdir = workdir,
            **kwargs
        )
        _docker_archive(
            name = image + "_tar",
            image = image,
            repo_tag = "%s:%s-%s" % (repository, tag, oci_arch),
            **kwargs
        )
        _image_sbom(
            name = image + "_sbom",
            images = [image],
            lock = lock,
            **kwargs
        )
        _oci_push(name = image + "_push", image = image, sbom = image + "_sbom", **push_kwargs)
        images.append(image)
        for cpu in PLATFORM_CPUS[arch]:
            for_platform[platform_setting(cpu)] = image
    native.alias(
        name = name + "_for_platform",
        actual = select(
            for_platform,
            no_match_error = "%s_for_platform: no image for the target platform (--platforms); there are images for Linux on %s" % (
                name,
                ", ".join(["@platforms//cpu:" + cpu for arch in architectures for cpu in PLATFORM_CPUS[arch]]),
            ),
        ),
        **kwargs
    )
    _oci_index(
        name = name,
        annotations = annotations,
        images = images,
        source = source,
        tag = tag,
        **kwargs
    )
    _oci_push(name = name + "_push", image = name, sbom = name + "_sbom", **push_kwargs)
    _image_sbom(
        name = name + "_sbom",
        images = images,
        lock = lock,
        **kwargs
    )

def cc_deb_library(name, debs, architectures, libraries = [], linkstatic = True, **kwargs):
    """A locked `-dev` package's headers and libraries as a `cc_library`-like target (CcInfo).

    For each Debian architecture `A`, `<name>_A` (the `cc_deb_library` rule: headers from
    `/usr/include` and `/usr/include/<triplet>`, `lib<name>.a` or `.so` from
    `/usr/lib/<triplet>`), and `<name>`, the one for the target platform (`--platforms`, as
    `<image>_for_platform`): what `cc_binary`/`cc_library`/`cc_test` `deps` take.

        cc_deb_library(
            name = "zlib",
            architectures = ["amd64", "arm64"],
            debs = ["@mydeps//zlib1g-dev:{arch}", "@mydeps//zlib1g:{arch}"],
            libraries = ["z"],
        )

    Args:
      name: target name of the library for the target platform.
      debs: the -dev package and the runtime packages its library symlinks point into, as
        locked packages; `{arch}` is replaced by each Debian architecture.
      architectures: Debian architectures: amd64, arm64, armhf, s390x, ppc64el, riscv64, i386.
      libraries: library names to link (`z` for libz), from `/usr/lib/<triplet>`.
      linkstatic: link `lib<name>.a`; False: `lib<name>.so`, whose soname the binary then
        loads at run time from where it runs (e.g. the image's runtime package).
      **kwargs: common attributes (visibility, tags, testonly).
    """
    by_platform = {}
    for arch in architectures:
        _cc_deb_library(
            name = "%s_%s" % (name, arch),
            architecture = arch,
            debs = [deb.format(arch = arch) for deb in debs],
            libraries = libraries,
            linkstatic = linkstatic,
            **kwargs
        )
        for cpu in PLATFORM_CPUS[arch]:
            by_platform[platform_setting(cpu)] = "%s_%s" % (name, arch)
    native.alias(
        name = name,
        actual = select(
            by_platform,
            no_match_error = "%s: no library for the target platform (--platforms); there are for Linux on %s" % (
                name,
                ", ".join(["@platforms//cpu:" + cpu for arch in architectures for cpu in PLATFORM_CPUS[arch]]),
            ),
        ),
        **kwargs
    )

def files_layer(name, entries = [], files = {}, file_modes = {}, **kwargs):
    """Declared files, directories and symlinks as one layer.

    Args:
      name: target name.
      entries: dicts `{path, type: "file"|"directory"|"symlink", mode: "0644", uid, gid,
        content (files), target (symlinks)}`.
      files: label -> absolute path in the image, for files to copy in.
      file_modes: octal mode ("0755") per path of `files`; default "0644".
      **kwargs: common attributes (visibility, tags, mtime, ...).
    """
    _files_layer(
        name = name,
        entries = [json.encode(e) for e in entries],
        files = files,
        file_modes = file_modes,
        **kwargs
    )

def passwd(name, users, **kwargs):
    """/etc/passwd (0644, root-owned) from user dicts.

    Args:
      name: target name.
      users: dicts `{name, uid, gid, gecos, home, shell}`, in file order. Fields may not hold
        ':' or newlines; names and uids must be unique.
      **kwargs: common attributes.
    """
    _accounts_layer(name = name, passwd = [json.encode(u) for u in users], **kwargs)

def group(name, groups, **kwargs):
    """/etc/group (0644, root-owned) from group dicts.

    Args:
      name: target name.
      groups: dicts `{name, gid, members: [user names]}`, in file order.
      **kwargs: common attributes.
    """
    _accounts_layer(name = name, group = [json.encode(g) for g in groups], **kwargs)

def home(name, dirs, **kwargs):
    """Home (or any) directories with their owner and mode.

    Args:
      name: target name.
      dirs: dicts `{path, uid, gid, mode: "0700"}`.
      **kwargs: common attributes.
    """
    files_layer(
        name = name,
        entries = [dict(d, type = "directory") for d in dirs],
        **kwargs
    )

def cacerts(name, deb, java_truststore = False, **kwargs):
    """The CA bundle /etc/ssl/certs/ca-certificates.crt made from the ca-certificates package.

    Every `/usr/share/ca-certificates/**.crt` of the package, in sorted path order, as
    update-ca-certificates would make it; each certificate is parsed.

    Args:
      name: target name.
      deb: the ca-certificates .deb (or its deb_package).
      java_truststore: also write /etc/ssl/certs/java/cacerts (PKCS#12, password "changeit").
      **kwargs: common attributes.
    """
    _cacerts_layer(name = name, deb = deb, java_truststore = java_truststore, **kwargs)

def os_release(name, fields, path = "/usr/lib/os-release", **kwargs):
    """An os-release file (0644) from ordered fields.

    Args:
      name: target name.
      fields: dict of os-release fields, e.g. `{"ID": "debian", "VERSION_ID": "12"}`, in
        file order; values are quoted.
      path: where to put it; base-files links /etc/os-release to ../usr/lib/os-release.
      **kwargs: common attributes.
    """
    content = "".join(['%s="%s"\n' % (k, v) for k, v in fields.items()])
    files_layer(
        name = name,
        entries = [{"content": content, "mode": "0644", "path": path, "type": "file"}],
        **kwargs
    )

def image_test(name, image, files = [], config = {}, packages = None, **kwargs):
    """Checks a single-platform image: our structure test, no container runtime needed.

    Args:
      name: test name.
      image: an image target (e.g. `<distroless_image name>_amd64`).
      files: dicts `{path, exists (default True), type: file|directory|symlink|hardlink,
        mode: "0644", uid, gid, target, content (a regular expression)}`.
      config: expected `{user, workdir, env, entrypoint, cmd, architecture, variant, history}`
        (history: every entry's created_by, bottom first).
      packages: the exact package names expected in /var/lib/dpkg/status.d.
      **kwargs: common test attributes.
    """
    checks = {"config": config, "files": files}
    if packages != None:
        checks["packages"] = packages
    image_structure_test(name = name, image = image, checks = json.encode(checks), **kwargs)

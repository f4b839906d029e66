"""Implementation of oci_image: layers (and a base image) as one single-platform OCI image."""

load(":annotations.bzl", "BASE_NAME", "SOURCE_ATTRS", "source_annotations", "version_annotations")
load(":deb_package.bzl", "DebInfo")
load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "ImageInfo", "LayerInfo")

def _history_label(label):
    """A layer's label as its history's created_by, as a BUILD file would write it.

    `//pkg:name` in the building module, `@module//pkg:name` for another module's: str()
    gives Bazel 7's canonical `@@//pkg:name` and `@@module~//pkg:name`.
    """
    target = "//%s:%s" % (label.package, label.name)
    if not label.repo_name:
        return target

    # A module's canonical repository name is the module's name and a separator (Bazel 7's
    # `~`, Bazel 8's `+`), then, for a repository an extension made, the extension's parts.
    module = label.repo_name.split("~")[0].split("+")[0]
    if label.repo_name in [module + "~", module + "+"]:
        return "@%s%s" % (module, target)
    return "@%s%s" % (label.repo_name, target)

def _oci_image_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    annotations = version_annotations(ctx, source_annotations(ctx, ctx.attr.annotations))
    if ctx.attr.base_name:
        if not ctx.attr.base:
            fail("%s: base_name %r is given, but there is no base" % (ctx.label, ctx.attr.base_name))
        annotations[BASE_NAME] = ctx.attr.base_name
    fields = {
        "annotations": annotations,
        "architecture": ctx.attr.architecture,
        "env": ctx.attr.env,
        "exposed_ports": ctx.attr.exposed_ports,
        "labels": ctx.attr.labels,
    }
    for key, value in [
        ("variant", ctx.attr.variant),
        ("user", ctx.attr.user),
        ("workdir", ctx.attr.workdir),
    ]:
        if value:
            fields[key] = value
    if ctx.attr.entrypoint or ctx.attr.clear_entrypoint:
        fields["entrypoint"] = ctx.attr.entrypoint
    if ctx.attr.cmd or ctx.attr.clear_entrypoint:
        fields["cmd"] = ctx.attr.cmd
    ctx.actions.write(spec, json.encode(fields))

    base = ctx.attr.base[ImageInfo] if ctx.attr.base else None
    layers = [t[LayerInfo] for t in ctx.attr.layers]
    args = ctx.actions.args()
    args.add("image")
    args.add("--spec", spec)
    inputs = [spec]
    if base:
        args.add("--base", base.layout.path)
        inputs.append(base.layout)
    for target, layer in zip(ctx.attr.layers, layers):
        args.add("--layer", "%s=%s" % (layer.blob.path, layer.digests.path))
        args.add("--created-by", _history_label(target.label))
        inputs.extend([layer.blob, layer.digests])
    if ctx.attr.tag:
        args.add("--tag", ctx.attr.tag)
    args.add("--out", layout.path)
    args.add("--digest-out", digest)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = inputs,
        outputs = [layout, digest],
        mnemonic = "OciImage",
        progress_message = "Writing OCI image %{label}",
    )

    # Validation: no layer may change what an earlier one (the base's included) put down. The
    # base's layers are read from its layout, so a base made elsewhere (oci_layout_image) is
    # covered as well as one of ours.
    checked = ctx.actions.declare_file(ctx.label.name + ".conflicts_checked")
    check = ctx.actions.args()
    check.add("check-conflicts")
    check_inputs = []
    if base:
        check.add("--base", base.layout.path)
        check_inputs.append(base.layout)
    for layer in layers:
        check.add("--layer", "%s=%s=%s" % (layer.blob.short_path, layer.blob.path, layer.digests.path))
        check_inputs.extend([layer.blob, layer.digests])
    check.add("--stamp-out", checked)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [check],
        inputs = check_inputs,
        outputs = [checked],
        mnemonic = "LayerConflicts",
        progress_message = "Checking the layers of %{label} for conflicts",
    )
    return [
        DefaultInfo(files = depset([layout])),
        OutputGroupInfo(digest = depset([digest]), _validation = depset([checked])),
        ImageInfo(digest = digest, layers = (base.layers if base else []) + layers, layout = layout),
    ]

oci_image = rule(
    implementation = _oci_image_impl,
    doc = """A single-platform OCI image layout; usually made by `distroless_image`.

Its manifest's annotations: `annotations`, `source`, `base_name`, `version_annotations`, on a
base `org.opencontainers.image.base.digest` (the base's manifest digest), and for a target of
the main repository built with `--@rules_debimage//distroless:revision=COMMIT`,
`org.opencontainers.image.revision`.""",
    attrs = {
        "annotations": attr.string_dict(doc = "Manifest annotations."),
        "base_name": attr.string(doc = "`org.opencontainers.image.base.name`: a reference to the base image (e.g. `gcr.io/distroless/cc-debian12:nonroot`); only with a base, whose manifest digest `org.opencontainers.image.base.digest` always names."),
        "architecture": attr.string(mandatory = True, doc = "OCI architecture (amd64, arm64, arm, ...)."),
        "base": attr.label(providers = [ImageInfo], doc = "An image whose layers and configuration come first."),
        "clear_entrypoint": attr.bool(doc = "Set entrypoint and cmd exactly as given, even when empty."),
        "cmd": attr.string_list(doc = "The config's Cmd (arguments after the entrypoint). Empty keeps the base's, unless `entrypoint` is set: a new entrypoint resets it, as in a Dockerfile."),
        "entrypoint": attr.string_list(doc = "The config's Entrypoint; empty keeps the base's."),
        "env": attr.string_list(doc = "NAME=value entries; a name given here replaces the base's."),
        "exposed_ports": attr.string_list(doc = "The config's ExposedPorts, added to the base's: `PORT` (tcp) or `PORT/tcp`, `PORT/udp`, `PORT/sctp`."),
        "labels": attr.string_dict(doc = "The config's Labels, merged over the base's."),
        "layers": attr.label_list(providers = [LayerInfo], doc = "Layers, bottom first."),
        "tag": attr.string(doc = "org.opencontainers.image.ref.name in index.json."),
        "user": attr.string(doc = "The user to run as (name or uid, optionally `:group`); empty keeps the base's."),
        "variant": attr.string(doc = "OCI platform variant (v8 for arm64, v7 for arm)."),
        "version_annotations": attr.label_keyed_string_dict(
            providers = [DebInfo],
            doc = "A locked package (a `deb_package`, e.g. `@debian12//python3.11-minimal:amd64`) -> a manifest annotation whose value is its upstream version (`3.11.2` of `3.11.2-6+deb12u9`: no epoch, Debian revision, `+` or `~` part), e.g. `com.google.distroless.python.version`.",
        ),
        "workdir": attr.string(doc = "The working directory; empty keeps the base's."),
        "_debimage": DEBIMAGE_TOOL,
    } | SOURCE_ATTRS,
    provides = [ImageInfo],
)

"""skopeo_copy: an OCI image layout written by skopeo (a third-party tool), for the tests."""

def _skopeo_copy_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    src = ctx.file.src
    ctx.actions.run_shell(
        command = 'skopeo --insecure-policy copy --quiet "$@"',
        arguments = ctx.attr.options + [
            "%s:%s%s" % (ctx.attr.transport, src.path, ":" + ctx.attr.ref if ctx.attr.ref else ""),
            "oci:%s:latest" % out.path,
        ],
        inputs = [src],
        outputs = [out],
        mnemonic = "SkopeoCopy",
        progress_message = "skopeo copy to %{label}",
        # skopeo keeps its temporary files in $TMPDIR (the sandbox's).
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]))]

skopeo_copy = rule(
    implementation = _skopeo_copy_impl,
    doc = "`skopeo copy <transport>:<src>[:<ref>] oci:<out>:latest` with `options`.",
    attrs = {
        "options": attr.string_list(doc = "skopeo copy options, e.g. --all, --dest-compress-format zstd."),
        "ref": attr.string(doc = "The source's reference (an oci: layout's ref name)."),
        "src": attr.label(mandatory = True, allow_single_file = True, doc = "A docker-archive tarball or an OCI layout."),
        "transport": attr.string(mandatory = True, values = ["docker-archive", "oci"]),
    },
)

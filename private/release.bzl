"""Implementation of release: `bazel run` pushes and signs every image of the repository."""

load(":launcher.bzl", "RUNFILES_ROOT", "runfiles_path", "write_launcher")
load(":providers.bzl", "ReleaseInfo")

def _release_impl(ctx):
    images = [image for target in ctx.attr.images for image in target[ReleaseInfo].images]
    seen = {}
    entries = []
    files = []
    for image in images:
        key = image.repository + ":" + image.tag
        if key in seen:
            fail("two images would be released as %s" % key)
        seen[key] = True
        entry = {"layout": runfiles_path(ctx, image.layout), "repository": image.repository, "tag": image.tag}
        files.append(image.layout)
        if image.sbom:
            entry["sbom"] = runfiles_path(ctx, image.sbom)
            files.append(image.sbom)
        entries.append(entry)
    plan = ctx.actions.declare_file(ctx.label.name + ".plan.json")
    ctx.actions.write(plan, json.encode_indent({"images": entries}) + "\n")
    tool = ctx.executable._release
    launcher = write_launcher(ctx, tool, ["--plan", plan, "--root", RUNFILES_ROOT])
    runfiles = ctx.runfiles(files = [tool, plan] + files)
    runfiles = runfiles.merge(ctx.attr._release[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles), OutputGroupInfo(plan = depset([plan]))]

release = rule(
    implementation = _release_impl,
    doc = """Pushes every image of `images` under a registry prefix, signed when given a key.

`bazel run :target -- REGISTRY_PREFIX [--key KEY] [--commit SHA]`: each image goes to
`REGISTRY_PREFIX/<repository>:<tag>` (and, with --commit, upstream's commit tag), then is
signed and its SBOM attested (cosign's formats) with --key; prints one line per image with its
digest. `bazel run :target -- --help` lists every option.
""",
    attrs = {
        "images": attr.label_list(
            doc = "release_images targets (one per image family).",
            providers = [ReleaseInfo],
            mandatory = True,
        ),
        "_release": attr.label(
            default = Label("//tools/push:debimage-release"),
            executable = True,
            cfg = "target",
        ),
    },
    executable = True,
)

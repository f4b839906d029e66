"""deb_closure_test: the packages an image adds are exactly the dependency closure it claims."""

load("//distroless:defs.bzl", "DebInfo")

def _deb_closure_test_impl(ctx):
    added = {}
    for target in ctx.attr.debs:
        info = target[DebInfo]
        added[info.name] = info
    parent = {name: True for name in ctx.attr.parent}
    excluded = ctx.attr.excluded
    problems = []
    for name in excluded:
        if name in added:
            problems.append("%s is both added and excluded" % name)
    for name in ctx.attr.roots:
        if name not in added:
            problems.append("root %s is not added" % name)

    # Complete: every dependency of an added package is in the image or deliberately left out.
    for name, info in sorted(added.items()):
        for dep in info.depends:
            if dep not in added and dep not in parent and dep not in excluded:
                problems.append("%s %s depends on %s: add it, or exclude it with a reason" % (name, info.version, dep))

    # Minimal: every added package is reached from the roots through added packages only.
    reached = {}
    frontier = [name for name in ctx.attr.roots if name in added]
    for _ in range(len(added) + 1):
        next_frontier = []
        for name in frontier:
            if name in reached:
                continue
            reached[name] = True
            next_frontier.extend([dep for dep in added[name].depends if dep in added and dep not in reached])
        frontier = next_frontier
    for name in sorted(added):
        if name not in reached:
            problems.append("%s is added but no root needs it (through added packages)" % name)

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    if problems:
        text = "#!/bin/sh\ncat >&2 <<'EOF'\n%s\nEOF\nexit 1\n" % "\n".join(problems)
    else:
        text = "#!/bin/sh\necho '%d packages: the closure of %s, less the parent image and %s'\n" % (
            len(added),
            " ".join(ctx.attr.roots),
            " ".join(sorted(excluded)) or "nothing",
        )
    ctx.actions.write(script, text, is_executable = True)
    return [DefaultInfo(executable = script)]

deb_closure_test = rule(
    implementation = _deb_closure_test_impl,
    doc = """Checks, against the lock's dependency data, that `debs` is the closure of `roots`.

Every dependency of an added package must be added too, already be in the parent image
(`parent`), or be excluded on purpose (`excluded`: name -> reason); and every added package
must be reachable from `roots` through added packages. A re-lock that changes the dependency
graph makes this test fail until the package list is updated.""",
    attrs = {
        "debs": attr.label_list(providers = [DebInfo], mandatory = True),
        "excluded": attr.string_dict(doc = "Packages left out on purpose: name -> reason."),
        "parent": attr.string_list(doc = "Packages the parent image already has."),
        "roots": attr.string_list(mandatory = True),
    },
    test = True,
)

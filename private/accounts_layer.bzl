"""Implementation of accounts_layer: /etc/passwd and /etc/group as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "json_file", "layer_action")

def _accounts_layer_impl(ctx):
    args = ctx.actions.args()
    inputs = []
    for flag, values in [("--passwd", ctx.attr.passwd), ("--group", ctx.attr.group)]:
        if values:
            data = json_file(ctx, flag[2:], [json.decode(v) for v in values])
            args.add(flag, data)
            inputs.append(data)
    if not inputs:
        fail("accounts_layer: give passwd, group or both")
    return layer_action(ctx, args, inputs, "AccountsLayer")

accounts_layer = rule(
    implementation = _accounts_layer_impl,
    doc = "/etc/passwd and/or /etc/group (0644, root-owned) as one layer. Used through the `passwd` and `group` macros of //distroless.",
    attrs = DEBIMAGE_ATTRS | {
        "group": attr.string_list(doc = "JSON objects {name, gid, members} for /etc/group."),
        "passwd": attr.string_list(doc = "JSON objects {name, uid, gid, gecos, home, shell} for /etc/passwd."),
    },
)

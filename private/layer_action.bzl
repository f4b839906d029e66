"""The action every layer rule runs: a `debimage` subcommand writing blob, digests and listing."""

load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "LayerInfo")

DEBIMAGE_ATTRS = {
    "mtime": attr.int(
        doc = "Modification time of every entry, in seconds since the epoch.",
        default = 0,
    ),
    "_debimage": DEBIMAGE_TOOL,
}

def layer_action(ctx, args, inputs, mnemonic, command = "layer"):
    """Runs `debimage <command>` with `args` (an Args holding the sources) and returns providers.

    Args:
      ctx: the rule context; its attributes include DEBIMAGE_ATTRS.
      args: ctx.actions.args() with the source flags already added.
      inputs: the files those flags read.
      mnemonic: the action's mnemonic.
      command: the subcommand, one that takes the layer output flags (`--out`, ...).

    Returns:
      DefaultInfo (the blob), OutputGroupInfo (digests, listing) and LayerInfo.
    """
    blob = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    digests = ctx.actions.declare_file(ctx.label.name + ".digests.json")
    listing = ctx.actions.declare_file(ctx.label.name + ".listing")
    args.add("--out", blob)
    args.add("--digests-out", digests)
    args.add("--listing-out", listing)
    args.add("--mtime", ctx.attr.mtime)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [command, args],
        inputs = inputs,
        outputs = [blob, digests, listing],
        mnemonic = mnemonic,
        progress_message = "Building layer %{label}",
    )
    return [
        DefaultInfo(files = depset([blob])),
        OutputGroupInfo(digests = depset([digests]), listing = depset([listing])),
        LayerInfo(blob = blob, digests = digests, listing = listing),
    ]

def json_file(ctx, suffix, value):
    """Writes `value` as JSON next to the rule's outputs and returns the File."""
    out = ctx.actions.declare_file("%s.%s.json" % (ctx.label.name, suffix))
    ctx.actions.write(out, json.encode(value))
    return out

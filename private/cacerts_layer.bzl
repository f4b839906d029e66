"""Implementation of cacerts_layer: the CA bundle (and Java trust store) of a ca-certificates package."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "layer_action")

def _cacerts_layer_impl(ctx):
    args = ctx.actions.args()
    args.add("--cacerts", ctx.file.deb)
    if ctx.attr.java_truststore:
        args.add("--java-truststore")
    return layer_action(ctx, args, [ctx.file.deb], "CacertsLayer")

cacerts_layer = rule(
    implementation = _cacerts_layer_impl,
    doc = "/etc/ssl/certs/ca-certificates.crt from a ca-certificates package, as one layer. Used through the `cacerts` macro of //distroless.",
    attrs = DEBIMAGE_ATTRS | {
        "deb": attr.label(
            doc = "The ca-certificates .deb: its certificates become /etc/ssl/certs/ca-certificates.crt.",
            allow_single_file = [".deb"],
            mandatory = True,
        ),
        "java_truststore": attr.bool(
            doc = "Also /etc/ssl/certs/java/cacerts (PKCS#12, password changeit).",
        ),
    },
)

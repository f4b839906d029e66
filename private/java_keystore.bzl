"""Implementation of java_keystore: a Java trust store from PEM certificates, as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "layer_action")

def _java_keystore_impl(ctx):
    if not ctx.files.certs and not ctx.files.debs:
        fail("java_keystore: give certs (PEM files) or debs (ca-certificates)")
    args = ctx.actions.args()
    args.add_all(ctx.files.debs, before_each = "--deb")
    args.add_all(ctx.files.certs, before_each = "--pem")
    args.add("--password", ctx.attr.password)
    args.add("--path", ctx.attr.path)
    return layer_action(ctx, args, ctx.files.debs + ctx.files.certs, "JavaKeystore", command = "keystore")

java_keystore = rule(
    implementation = _java_keystore_impl,
    doc = """A Java trust store (PKCS#12) of the given CA certificates, as a layer with that file.

Each certificate is a trusted entry (`trustedCertEntry`, what Java's `TrustManagerFactory`
uses): those of `debs` (the ca-certificates package) under the aliases ca-certificates-java
gives them, `debian:<file name>`, then those of `certs`, in order, under their file name
(`name#1`, `name#2`, ... for a file of several). Every certificate is parsed as X.509; a
file that is not PEM certificates, an empty password, or two aliases Java would take for
one (they differ only in case) is a build error. The bytes depend only on the inputs.

PKCS#12 only, no JKS: every JDK since 9 defaults to PKCS#12, Java 8 (from 8u60) reads it as
a JKS-typed store too, and JKS's integrity check is obsolete.

At the default path the store replaces the JDK's own trust store in Debian's layout
(`/etc/ssl/certs/java/cacerts`; an image that already has one, e.g. from `cacerts(...,
java_truststore = True)`, would conflict). Elsewhere, point Java at it:
`-Djavax.net.ssl.trustStore=<path> -Djavax.net.ssl.trustStorePassword=<password>`, e.g. in
the image's `JAVA_TOOL_OPTIONS`.

```starlark
java_keystore(
    name = "truststore",
    certs = ["company-root-ca.pem"],
    debs = ["@debian12//ca-certificates:amd64"],  # also trust the public CAs
)
```""",
    attrs = DEBIMAGE_ATTRS | {
        "certs": attr.label_list(
            doc = "PEM files, each of one or more `CERTIFICATE` blocks.",
            allow_files = True,
        ),
        "debs": attr.label_list(
            doc = "ca-certificates packages (or their deb_package targets): their certificates come first.",
            allow_files = [".deb"],
        ),
        "password": attr.string(
            doc = "The store password; it protects the store's integrity (no secret is in it).",
            default = "changeit",
        ),
        "path": attr.string(
            doc = "Where the store goes in the image.",
            default = "/etc/ssl/certs/java/cacerts",
        ),
    },
)

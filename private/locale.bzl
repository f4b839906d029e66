"""Implementation of locale: compiled locales from Debian packages as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "layer_action")

def _locale_impl(ctx):
    args = ctx.actions.args()
    args.add_all(ctx.files.debs, before_each = "--deb")
    args.add_all(ctx.attr.locales, before_each = "--locale")
    return layer_action(ctx, args, ctx.files.debs, "LocaleLayer", command = "locale")

locale = rule(
    implementation = _locale_impl,
    doc = """Compiled locales, `/usr/lib/locale/<name>/LC_*`, as one layer.

Debian ships `C.utf8` compiled in libc-bin and every other locale glibc supports compiled in
locales-all (whose maintainer scripts never run in an image, and whose files add up to some
216 MiB). This layer has the chosen ones only, each complete in its own directory: locales-all
shares category files between locales with symlinks into other locales' directories, which
become files here (a file that several chosen locales share is stored once, the others being
hardlinks to it). The packages' copyright files come along; no `status.d` entry, as the image
has none of the packages' programs and glibc is declared by libc6.

A locale is named as `LANG` or `setlocale` take it (`de_DE.UTF-8`, looked up as the
directory glibc tries, `de_DE.utf8`) or by its directory (`de_DE`, the ISO-8859-1 one;
`de_DE@euro`). An unknown name is a build error that lists the locales there are for its
language. `C` and `POSIX` are built into glibc and need no layer.

Take the packages from the same glibc version as the image's libc6 (the same lock): glibc
reads only locale files of its own format. For programs to use a locale, set e.g.
`env = ["LANG=de_DE.UTF-8"]` on the image; translated C library messages are in libc-l10n,
a separate package.

```starlark
locale(
    name = "locales_amd64",
    debs = ["@debian12//libc-bin:amd64", "@debian12//locales-all:amd64"],
    locales = ["C.UTF-8", "de_DE.UTF-8"],
)
```""",
    attrs = DEBIMAGE_ATTRS | {
        "debs": attr.label_list(
            doc = "Packages with compiled locales (libc-bin, locales-all, or their deb_package targets); each locale comes from the first that has it.",
            allow_files = [".deb"],
            mandatory = True,
            allow_empty = False,
        ),
        "locales": attr.string_list(
            doc = "The locales, e.g. `[\"C.UTF-8\", \"de_DE.UTF-8\"]`.",
            mandatory = True,
            allow_empty = False,
        ),
    },
)

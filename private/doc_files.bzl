"""What runtime images keep of /usr/share/doc, and the checks that prove it."""

# Documentation other than copyright files: changelogs, READMEs, examples, man and info pages,
# lintian overrides. Every /usr/share/doc/<package>/copyright stays.
DOC_EXCLUDE = [
    "usr/share/doc/*/*.gz",
    "usr/share/doc/*/*.html",
    "usr/share/doc/*/*.md",
    "usr/share/doc/*/*.txt",
    "usr/share/doc/*/ANNOUNCE",
    "usr/share/doc/*/AUTHORS",
    "usr/share/doc/*/BUGS",
    "usr/share/doc/*/JAVA_HOME",
    "usr/share/doc/*/NEWS*",
    "usr/share/doc/*/README*",
    "usr/share/doc/*/THANKS",
    "usr/share/doc/*/TODO*",
    "usr/share/doc/*/USAGE",
    "usr/share/doc/*/changelog*",
    "usr/share/doc/*/examples",
    "usr/share/doc/*/inputrc.arrows",
    "usr/share/doc-base",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/man",
]

# Packages whose /usr/share/doc/<package> is a symlink to another package's.
def doc_checks(packages, doc_links):
    """Image checks: every package's copyright file, or its doc directory's link.

    Args:
      packages: Debian package names.
      doc_links: package -> the doc directory its /usr/share/doc/<package> links to.
    Returns:
      image_test file checks.
    """
    return [
        {
            "path": "/usr/share/doc/%s/copyright" % p,
            "type": "file",
        }
        for p in packages
        if p not in doc_links
    ] + [
        {
            "path": "/usr/share/doc/" + p,
            "target": target,
            "type": "symlink",
        }
        for p, target in doc_links.items()
    ]

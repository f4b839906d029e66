"""Public API of rules_debimage: build distroless images from Debian packages.

Load from `@rules_debimage//distroless:defs.bzl`. Every rule and macro here makes one layer
(a `LayerInfo`: gzip tar, digests, listing) except where it says otherwise.
"""

load("//private:deb_layer.bzl", _deb_layer = "deb_layer")
load("//private:deb_package.bzl", _DebInfo = "DebInfo")
load("//private:files_layer.bzl", _files_layer = "files_layer")
load("//private:providers.bzl", _LayerInfo = "LayerInfo")

DebInfo = _DebInfo
LayerInfo = _LayerInfo
deb_layer = _deb_layer

def files_layer(name, entries = [], files = {}, file_modes = {}, **kwargs):
    """Declared files, directories and symlinks as one layer.

    Args:
      name: target name.
      entries: dicts `{path, type: "file"|"directory"|"symlink", mode: "0644", uid, gid,
        content (files), target (symlinks)}`.
      files: label -> absolute path in the image, for files to copy in.
      file_modes: octal mode ("0755") per path of `files`; default "0644".
      **kwargs: common attributes (visibility, tags, mtime, ...).
    """
    _files_layer(
        name = name,
        entries = [json.encode(e) for e in entries],
        files = files,
        file_modes = file_modes,
        **kwargs
    )

def passwd(name, users, **kwargs):
    """/etc/passwd (0644, root-owned) from user dicts.

    Args:
      name: target name.
      users: dicts `{name, uid, gid, gecos, home, shell}`, in file order. Fields may not hold
        ':' or newlines; names and uids must be unique.
      **kwargs: common attributes.
    """
    _files_layer(name = name, passwd = [json.encode(u) for u in users], **kwargs)

def group(name, groups, **kwargs):
    """/etc/group (0644, root-owned) from group dicts.

    Args:
      name: target name.
      groups: dicts `{name, gid, members: [user names]}`, in file order.
      **kwargs: common attributes.
    """
    _files_layer(name = name, group = [json.encode(g) for g in groups], **kwargs)

def home(name, dirs, **kwargs):
    """Home (or any) directories with their owner and mode.

    Args:
      name: target name.
      dirs: dicts `{path, uid, gid, mode: "0700"}`.
      **kwargs: common attributes.
    """
    files_layer(
        name = name,
        entries = [dict(d, type = "directory") for d in dirs],
        **kwargs
    )

def cacerts(name, deb, java_truststore = False, **kwargs):
    """The CA bundle /etc/ssl/certs/ca-certificates.crt made from the ca-certificates package.

    Every `/usr/share/ca-certificates/**.crt` of the package, in sorted path order, as
    update-ca-certificates would make it; each certificate is parsed.

    Args:
      name: target name.
      deb: the ca-certificates .deb (or its deb_package).
      java_truststore: also write /etc/ssl/certs/java/cacerts (PKCS#12, password "changeit").
      **kwargs: common attributes.
    """
    _files_layer(name = name, cacerts = deb, java_truststore = java_truststore, **kwargs)

def os_release(name, fields, path = "/usr/lib/os-release", **kwargs):
    """An os-release file (0644) from ordered fields.

    Args:
      name: target name.
      fields: dict of os-release fields, e.g. `{"ID": "debian", "VERSION_ID": "12"}`, in
        file order; values are quoted.
      path: where to put it; base-files links /etc/os-release to ../usr/lib/os-release.
      **kwargs: common attributes.
    """
    content = "".join(['%s="%s"\n' % (k, v) for k, v in fields.items()])
    files_layer(
        name = name,
        entries = [{"content": content, "mode": "0644", "path": path, "type": "file"}],
        **kwargs
    )

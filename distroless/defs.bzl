"""Public API of rules_debimage: build distroless images from Debian packages.

Load from `@rules_debimage//distroless:defs.bzl`.
"""

load("//private:deb_layer.bzl", _deb_layer = "deb_layer")
load("//private:deb_package.bzl", _DebInfo = "DebInfo")
load("//private:providers.bzl", _LayerInfo = "LayerInfo")

deb_layer = _deb_layer
DebInfo = _DebInfo
LayerInfo = _LayerInfo

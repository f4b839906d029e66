"""The tars tar_layer's tests make of one tree: tool -> its command (GNU tar, bsdtar)."""

# Every file records uid 1234 (alice) and gid 2345 (staff), as a user's own tar would.
TARS = {
    "bsdtar": "bsdtar --uid 1234 --gid 2345 --uname alice --gname staff -cf $@",
    "bsdtar_gz": "bsdtar --uid 1234 --gid 2345 --uname alice --gname staff -czf $@",
    "bsdtar_zst": "bsdtar --uid 1234 --gid 2345 --uname alice --gname staff --zstd -cf $@",
    "gnu_tar": "tar --owner=alice:1234 --group=staff:2345 -cf $@",
    "gnu_tar_gz": "tar --owner=alice:1234 --group=staff:2345 -czf $@",
    "gnu_tar_zst": "tar --owner=alice:1234 --group=staff:2345 --zstd -cf $@",
}

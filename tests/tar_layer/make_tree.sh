#!/bin/sh
# The tree the test tars are made of, in $1/app-1.0: files, a hardlink, a symlink, a sticky
# directory, every mode set here (not left to the umask).
set -eu
d=$1/app-1.0
mkdir -p "$d/bin" "$d/share/doc" "$d/var/data" "$d/var/tmp"
printf '#!/bin/sh\necho tool\n' >"$d/bin/tool"
printf 'readme\n' >"$d/share/doc/README"
ln "$d/bin/tool" "$d/bin/tool-alias"
ln -s ../share/doc/README "$d/bin/readme"
chmod 0755 "$d" "$d/bin" "$d/share" "$d/share/doc" "$d/var" "$d/bin/tool"
chmod 0700 "$d/var/data"
chmod 1777 "$d/var/tmp"
chmod 0644 "$d/share/doc/README"

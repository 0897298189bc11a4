#!/bin/sh
# Builds a busybox rootfs at $1 from Debian's busybox-static (/bin/busybox), as the reference
# recipe does. Without a static busybox it builds nothing, and the tests that need it skip.
set -eu
R=$1
BB=/bin/busybox
if ! [ -x "$BB" ] || ! ldd "$BB" 2>&1 | grep -q 'not a dynamic'; then
  echo "make_busybox_rootfs: no static $BB; install busybox-static" >&2
  exit 0
fi
rm -rf "$R.tmp"
mkdir -p "$R.tmp"
cd "$R.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root var run
chmod 1777 tmp
cp "$BB" bin/busybox
for a in $(./bin/busybox --list-full); do [ -e "$a" ] || ln -s /bin/busybox "$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
cd /
rm -rf "$R"
mv "$R.tmp" "$R"

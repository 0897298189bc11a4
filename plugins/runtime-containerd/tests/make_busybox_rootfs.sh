#!/bin/sh
# Makes a minimal busybox root filesystem at $1 from the host's static busybox (busybox-static):
# enough for the Garden suite's sh/cat/echo and for the limits tests.
set -eu
out=$1
busybox=${2:-/bin/busybox}
rm -rf "$out.tmp"
mkdir -p "$out.tmp/bin" "$out.tmp/etc" "$out.tmp/tmp" "$out.tmp/root" "$out.tmp/proc" \
  "$out.tmp/sys" "$out.tmp/dev"
cp "$busybox" "$out.tmp/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$out.tmp/bin/$applet"
done
chmod 1777 "$out.tmp/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  >"$out.tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$out.tmp/etc/group"
rm -rf "$out"
mv "$out.tmp" "$out"

#!/usr/bin/env bash
# Builds the offline test image akt-test/busybox:latest from Debian's busybox-static:
# no registry is needed. The image has /bin/sh, httpd, wget, nc and the other busybox
# applets, and a /www/index.html. Prints the image name.
set -euo pipefail
image=${1:-akt-test/busybox:latest}
revision=2  # bump when the image's contents change, so old copies are rebuilt
if [ "$(docker image inspect -f '{{index .Config.Labels "akt.test-image"}}' "$image" 2>/dev/null)" = "$revision" ]; then
  echo "$image"
  exit 0
fi
busybox=/bin/busybox
if ! "$busybox" --list >/dev/null 2>&1; then
  echo "test-image: $busybox missing; install busybox-static (scripts/install-deps.sh)" >&2
  exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
  echo "test-image: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi
for applet in sh httpd wget nc sleep; do
  if ! "$busybox" --list | grep -qx "$applet"; then
    echo "test-image: $busybox lacks the $applet applet" >&2
    exit 1
  fi
done
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,tmp,data,etc,www,proc,sys,dev,root}
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
echo "root:x:0:" > "$rootfs/etc/group"
echo "akt test image" > "$rootfs/www/index.html"
tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
  -c "LABEL akt.test-image=$revision" - "$image" >/dev/null
echo "$image"

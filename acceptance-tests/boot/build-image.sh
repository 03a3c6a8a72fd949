#!/usr/bin/env bash
# shellcheck disable=SC2016  # mmdebstrap hooks and apt formats expand later, in their own shells
# Builds one boot-test disk image from Debian's packages only.
#
#   build-image.sh SUITE OUT_DIR PAYLOAD_DIR PACKAGE...
#
# - mmdebstrap (minbase, root mode) of SUITE with PACKAGE... from the Debian
#   mirror this machine's apt is configured with (its main and security
#   archives, read from `apt-get indextargets`); downloaded .debs are kept in
#   $ECSHOST_BOOT_APT_CACHE (default OUT_DIR/../apt-cache/SUITE) for the next
#   build;
# - the files of guest/ beside this script (cloud-init settings, the
#   network-stack generator, the stand-in image loaders, the witness) and
#   PAYLOAD_DIR/* into /var/lib/ecshost-test/;
# - OUT_DIR/image.raw (ext4, label rootfs, sparse), OUT_DIR/vmlinuz,
#   OUT_DIR/initrd.img and OUT_DIR/packages.txt (name and version of every
#   package in the image).
# Needs root, mmdebstrap, e2fsprogs (mkfs.ext4 -d). Run by the boot tests
# (acceptance-tests/src/boot/image.rs), which cache OUT_DIR by a key of the
# package list and of everything this script copies in.
set -euo pipefail
suite=$1 out=$2 payload=$3
shift 3
packages=$(IFS=,; echo "$*")
here=$(cd "$(dirname "$0")" && pwd)
cache=${ECSHOST_BOOT_APT_CACHE:-$out/../apt-cache/$suite}

# The machine's Debian mirror: the archive serving a release without a dash
# (bookworm, bookworm-updates → main archive) and the one serving *-security.
targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | sort -u)
mirror=$(awk '$2 !~ /-security$/ {print $1; exit}' <<<"$targets")
security=$(awk '$2 ~ /-security$/ {print $1; exit}' <<<"$targets")
[ -n "$mirror" ] || { echo "build-image: no Debian archive in apt's sources" >&2; exit 1; }
sources=("deb ${mirror%/} $suite main" "deb ${mirror%/} $suite-updates main")
[ -z "$security" ] || sources+=("deb ${security%/} $suite-security main")

mkdir -p "$out" "$cache"
rootfs=$out/rootfs
rm -rf "$rootfs" "$out/image.raw"
trap 'rm -rf "$rootfs"' EXIT
t0=$(date +%s)
mmdebstrap --mode=root --variant=minbase --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $cache /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $cache" \
    --customize-hook="copy-in $here/guest/etc $here/guest/usr /" \
    --customize-hook='mkdir -p "$1"/var/lib/ecshost-test' \
    --customize-hook="sync-in $payload /var/lib/ecshost-test" \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service ecshost-test-agent-image.service ecshost-test-task-image.service ecshost-test-witness.service' \
    --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer fstrim.timer e2scrub_all.timer e2scrub_reap.service' \
    --customize-hook='chroot "$1" passwd -d root' \
    --customize-hook='echo ecshost-boot-test >"$1"/etc/hostname' \
    --customize-hook='printf "/dev/vda / ext4 defaults 0 1\n" >"$1"/etc/fstab' \
    --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" >"$1"/var/lib/ecshost-test/packages.txt' \
    "$suite" "$rootfs" "${sources[@]}"
t1=$(date +%s)
cp -L "$rootfs/vmlinuz" "$out/vmlinuz"
cp -L "$rootfs/initrd.img" "$out/initrd.img"
cp "$rootfs/var/lib/ecshost-test/packages.txt" "$out/packages.txt"
mkfs.ext4 -q -F -L rootfs -d "$rootfs" "$out/image.raw" 3G
t2=$(date +%s)
echo "build-image: $suite: mmdebstrap $((t1 - t0)) s, mkfs $((t2 - t1)) s, $(wc -l <"$out/packages.txt") packages, $(du -sm "$out/image.raw" | cut -f1) MiB used"

#!/bin/bash
# setup.sh - install every Debian 12 package that v2kvm's build, tests and
# demo need.  Idempotent: installs only what is missing; quiet unless
# something fails (then prints apt's log).  Run as root.
set -euo pipefail

packages=(
    # build
    gcc make cmake pkg-config perl
    # libraries (pkg-config names in CMakeLists.txt)
    libguestfs-dev libxml2-dev libcurl4-openssl-dev libarchive-dev
    zlib1g-dev libzstd-dev libdeflate-dev check libvirt-dev nbdkit-plugin-dev
    libssl-dev
    # libguestfs needs tools and a kernel for its appliance
    libguestfs-tools linux-image-amd64
    # oracles and peers used by the tests
    qemu-utils qemu-system-x86 ovmf libvirt-clients libvirt-daemon libxml2-utils
    libvirt-daemon-driver-qemu guestfish
    nbdkit libnbd-bin jq python3 strace util-linux bsdutils mount procps
    diffutils
    # leak checks of failed conversions (tests/inputs/test-input-leaks.sh)
    valgrind
    # remote transports (tests/remote): a real sshd, ssh-keygen, openssl
    # for the throwaway CA (the HTTPS server is python3's http.server)
    openssh-server openssh-client openssl
    # guest images for the conversion tests (tests/lib/mkguest-debian.sh,
    # tests/lib/mkphony.sh): debootstrap from Debian's mirror, a static
    # shell for phony guests, cpio to read initramfs images
    debootstrap busybox-static cpio fdisk e2fsprogs
    # initramfs images: read, repacked with the image's own compressor
    # (drivers-inject/linux/initrd-image.c), listed by Debian's
    # lsinitramfs in the tests; dracut-core (not dracut: that conflicts
    # with initramfs-tools) makes a real dracut image for the phony rhel9
    # guest and its lsinitrd reads it back
    gzip xz-utils zstd lz4 bzip2 initramfs-tools-core dracut-core
    # FAT images for the ESP reader's tests (tests/model/test-fatdir.c,
    # tests/cli/test-firmware.sh): mkfs.fat, mtools
    dosfstools mtools
    # the fake virtio-win ISO of tests/lib/mkvirtio-win.sh (mkisofs -J -r
    # through xorriso), read back by drivers-inject/windows/virtio-win.c
    xorriso
    # vSphere simulator (govmomi's vcsim, built from Debian's Go sources)
    golang-go golang-github-vmware-govmomi-dev
    # SFTP for block devices on remote hosts (formats/)
    libssh2-1-dev
    # NBD sources (formats/transport-nbd.c): P2V disks, nbd:// URIs
    libnbd-dev
    # batch migration (batch/): plan files in YAML (libyaml), the run's
    # state in SQLite; the sqlite3 shell to look into a state by hand
    libyaml-dev libsqlite3-dev sqlite3
    # v2kvm-batch report's HTML page, rendered and its DOM read in a real
    # headless browser (tests/batch/test-batch-report.sh)
    chromium
    # v2kvm-batch run --executor slurm: Slurm's client tools, and the
    # daemons (slurmctld, slurmd) plus munge for the single-node cluster
    # tests/batch/test-batch-slurm.sh starts itself (without systemd in
    # the container, installing them starts no daemon)
    slurm-wlm munge
    # benchmarks (bench/): virt-v2v and nbdcopy measured in the same run
    # (and GNU parallel, the batch benchmark's yardstick)
    time virt-v2v libnbd-bin bc parallel
    # fuzzing (scripts/fuzz.sh): clang, libFuzzer and the sanitizer
    # runtimes (libclang_rt.fuzzer, asan, ubsan: libclang-rt-14-dev)
    clang libclang-rt-14-dev
    # the Windows first-boot service (drivers-inject/windows/firstboot):
    # cross-compiled for x64 and x86 guests with mingw-w64; the x64 one is
    # tested under wine64 (tests/drivers-inject/test-windows-firstboot.sh)
    gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 wine wine64
    # phony Windows guests (tests/lib/mkphony-windows.sh): NTFS in the
    # appliance (ntfs-3g), registry hives made and read back with
    # hivexregedit and hivexget; iconv for UTF-16 values
    ntfs-3g libhivex-bin libc-bin
    # the P2V boot image (p2v/iso/build-iso.sh): the live rootfs made by
    # mmdebstrap from Debian's mirror, squashfs layers, a hybrid BIOS +
    # UEFI ISO by grub-mkrescue (its BIOS and EFI GRUB modules; mtools
    # and xorriso are above); qemu and ovmf boot it in the test
    mmdebstrap squashfs-tools grub-common grub-pc-bin grub-efi-amd64-bin
    # the P2V client's text UI (p2v/ui.c) runs whiptail, driven in a
    # pseudo-terminal by tests/p2v/test-p2v-ui.sh
    whiptail
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: must run as root to install: ${missing[*]}" >&2
    exit 1
fi
log=$(mktemp /tmp/v2kvm-setup.XXXXXX)
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends \
        "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup.sh: installing ${missing[*]} failed" >&2
    exit 1
fi
rm -f "$log"

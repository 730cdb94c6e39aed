# vcsim-lib.sh - govmomi's vSphere simulator for the esx:// and vpx://
# tests (sourced after test-lib.sh and ../remote/sshd-lib.sh, which
# kills what it starts on exit).
#
# build_vcsim: compile main.go offline from Debian's Go sources
# (golang-go, golang-github-vmware-govmomi-dev under /usr/share/gocode;
# GOPATH mode, no module download) into the machine's test cache
# (${V2K_GUEST_CACHE:-/var/cache/v2kvm-tests}/vcsim-HASH, HASH of main.go),
# shared by every build directory, so that only the first run on a
# machine pays for compiling govmomi (about 2 minutes on 2 cores).  A
# lock keeps parallel tests from building at once.
#
# start_vcsim MODEL POWEROFF: the simulator (esx or vpx) on 127.0.0.1
# with user root and the password in $T/password, the VMs named in
# POWEROFF (comma-separated) powered off; sets VC_HOSTPORT, VC_DC,
# VC_DS and VC_DSDIR (the datastore's directory, under $T/vcsim-tmp).
# Its TLS certificate, self-signed for IP 127.0.0.1, is $T/vcsim-ca.pem;
# its log, with every SOAP request and answer (-trace), $T/vcsim.log.

build_vcsim() {
    need go flock
    local src=$V2K_SOURCE_DIR/tests/lib/vcsim/main.go
    local cache=${V2K_GUEST_CACHE:-/var/cache/v2kvm-tests}
    mkdir -p "$cache" || fail "cannot create the test cache $cache"
    VCSIM=$cache/vcsim-$(sha256sum "$src" | cut -c1-16)
    [ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ] ||
        fail "govmomi's sources are missing (golang-github-vmware-govmomi-dev)"
    (
        flock 9
        if [ ! -x "$VCSIM" ]; then
            local t0=$SECONDS
            GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= \
                GOCACHE=$cache/go-cache GOTOOLCHAIN=local \
                go build -o "$VCSIM.tmp" "$src" ||
                fail "building the vSphere simulator failed"
            mv "$VCSIM.tmp" "$VCSIM"
            echo "vcsim built in $((SECONDS - t0)) s"
        fi
    ) 9>"$cache/vcsim.lock"
}

start_vcsim() {
    local i
    build_vcsim
    [ -f "$T/password" ] || echo "vcsim-secret-$$" >"$T/password"
    mkdir -p "$T/vcsim-tmp"
    need openssl
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$T/vcsim-key.pem" \
        -out "$T/vcsim-ca.pem" 2>/dev/null || fail "openssl req failed"
    TMPDIR=$T/vcsim-tmp "$VCSIM" -model "$1" -user root \
        -cert "$T/vcsim-ca.pem" -key "$T/vcsim-key.pem" \
        -passfile "$T/password" -poweroff "$2" -trace >"$T/vcsim.out" \
        2>"$T/vcsim.log" &
    _remote_pids+=($!)
    for i in $(seq 300); do
        grep -q '^VMS=' "$T/vcsim.out" && break
        kill -0 "${_remote_pids[-1]}" 2>/dev/null ||
            { cat "$T/vcsim.log" >&2; fail "the simulator exited"; }
        sleep 0.1
    done
    grep -q '^VMS=' "$T/vcsim.out" || fail "the simulator did not start"
    VC_HOSTPORT=$(sed -n 's/^HOSTPORT=//p' "$T/vcsim.out")
    VC_DC=$(sed -n 's/^DC=//p' "$T/vcsim.out")
    VC_DS=$(sed -n 's/^DATASTORE=//p' "$T/vcsim.out")
    VC_DSDIR=$(sed -n 's/^DSDIR=//p' "$T/vcsim.out")
    VC_PORT=${VC_HOSTPORT##*:}
}

# make_vm DIR NAME: a VM's files in DIR (created): NAME.vmx with two
# disks -- NAME.vmdk, a monolithicFlat descriptor with its -flat extent
# (ESX's own layout), and data.vmdk, a monolithicSparse image, on
# scsi0:1 by the absolute name ABS_DATA if set -- a CD-ROM and a NIC.
make_vm() {
    local d=$1 name=$2 data=${ABS_DATA:-data.vmdk}
    mkdir -p "$d"
    rm -f "$d"/*.vmdk "$d"/*.vmx
    qemu-img create -q -f vmdk -o subformat=monolithicFlat "$d/$name.vmdk" 8M
    qemu-io -f vmdk -c 'write -P 0x5a 0 1M' -c 'write -P 0x17 3M 2M' \
        -c 'write -P 0xe1 7M 512k' "$d/$name.vmdk" >/dev/null
    qemu-img create -q -f vmdk -o subformat=monolithicSparse \
        "$d/data.vmdk" 4M
    qemu-io -f vmdk -c 'write -P 0x33 1M 1M' "$d/data.vmdk" >/dev/null
    cat >"$d/$name.vmx" <<EOV
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "$name"
guestOS = "debian10-64"
memSize = "1024"
numvcpus = "2"
cpuid.coresPerSocket = "2"
firmware = "bios"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "$name.vmdk"
scsi0:1.present = "TRUE"
scsi0:1.fileName = "$data"
ide1:0.present = "TRUE"
ide1:0.deviceType = "cdrom-image"
ide1:0.fileName = "/vmfs/volumes/iso/debian.iso"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:aa:bb:cc"
EOV
}

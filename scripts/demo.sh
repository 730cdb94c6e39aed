#!/bin/bash
# demo.sh - README command (1): install what is needed, build, make the
# sample VM (a real disk built with libguestfs) and convert it to KVM in
# ./out as qcow2 + libvirt XML.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}

scripts/setup.sh
scripts/build.sh build

mkdir -p sample out
if [ ! -f sample/sample-vm.img ]; then
    echo "== Building the sample VM disk with libguestfs (about 30 s)"
    build/tests/v2kvm-mksample sample/sample-vm.img
fi

echo "== Converting the sample VM"
build/converters/v2kvm -i disk sample/sample-vm.img --memory 1G --vcpus 2 \
    -o local -os out -of qcow2 --overwrite

echo "== Checking the result"
qemu-img check -q out/sample-vm-sda
qemu-img compare -q sample/sample-vm.img out/sample-vm-sda
virt-xml-validate out/sample-vm.xml
cat <<EOT

Done: out/sample-vm-sda (qcow2) and out/sample-vm.xml (libvirt domain).
Define it with:   virsh define out/sample-vm.xml
Inspect it with:  virt-filesystems -a out/sample-vm-sda --all --long
EOT

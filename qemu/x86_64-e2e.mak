# Devices of the small qemu-system-x86_64 `make qemu` builds: the pc
# machine (i440fx) and virtio-net-pci, all the end-to-end test needs.
# build.sh copies this file to configs/devices/x86_64-softmmu/e2e.mak.

CONFIG_I440FX=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y

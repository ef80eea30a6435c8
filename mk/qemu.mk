# SPDX-License-Identifier: GPL-2.0
#
# make qemu: Debian 12's qemu source package (fetched with apt-get source
# through an apt state private to build/), the project's QEMU series from
# qemu/patches, and a small qemu-system-x86_64 under build/qemu.  See
# qemu/README.md.

QEMU_BIN := $(BUILD)/qemu/qemu-system-x86_64
DEPS_QEMU := dpkg-dev meson ninja-build pkg-config libglib2.0-dev \
	libpixman-1-dev zlib1g-dev libfdt-dev python3 rsync patch

.PHONY: qemu qemu-deps qemu-source qemu-debian

qemu-deps:
	$(call apt_install,$(DEPS_QEMU))

qemu: qemu-deps
	@$(REPO)/qemu/build.sh $(REPO) $(BUILD) $(JOBS)

qemu-source: qemu-deps
	@$(REPO)/qemu/build.sh $(REPO) $(BUILD) $(JOBS) source

# make qemu-debian: the series as Debian's build applies debian/patches
# (dpkg-source --before-build on the unpacked source package with the
# series appended, no fuzz), its DEP-3 fields and QEMU's checkpatch.pl.
qemu-debian: qemu-source
	@mkdir -p $(RESULTS)
	@rc=0; $(REPO)/qemu/debian-check.sh $(REPO) $(BUILD) \
		> $(RESULTS)/qemu-debian.log 2>&1 || rc=$$?; \
	cat $(RESULTS)/qemu-debian.log; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/qemu-debian.log \
		> $(RESULTS)/qemu-debian.counts; exit $$rc

CHECKS += qemu-debian

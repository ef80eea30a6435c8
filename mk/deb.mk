# SPDX-License-Identifier: GPL-2.0
#
# The Debian DKMS package, for a stock 6.12 host (docs/install-debian.md):
#
#   make deb          build/deb/tun-vnet-hash-dkms_VERSION_all.deb (the
#                     modules' sources for DKMS) and tunrss_VERSION_ARCH.deb
#                     (/usr/sbin/tunrss, tunrss(8)), lintian-checked
#   make dkms-headers the series changes no header that a module outside
#                     the package uses (part of make check)
#   make dkms-check   the package on Debian's own 6.12 kernel, in the VM
#                     (part of make check)
#
# The sources are generated from the assembled tree (mk/deb-src.sh), the
# packaging is dkms/: debian/ and the dkms.conf template.

DEB_DIR := $(BUILD)/deb
# The modules the package replaces or adds, as dir/name in the tree.
DKMS_MODULES := lib/toeplitz drivers/net/tun_vnet_hash drivers/net/tun \
	drivers/net/tap drivers/net/macvtap drivers/net/ipvlan/ipvtap \
	drivers/vhost/vhost_net
# Monotonic along the branch; a native Debian version.
DEB_VERSION ?= $(shell git -C $(REPO) rev-list --count HEAD 2>/dev/null | \
	sed 's/^/0./' || echo 0.0)$(shell git -C $(REPO) log -1 \
	--format=+g%h 2>/dev/null)
DEB_SRC := $(DEB_DIR)/tun-vnet-hash-$(DEB_VERSION)
DEB_PKG := $(DEB_DIR)/tun-vnet-hash-dkms_$(DEB_VERSION)_all.deb
DEPS_DEB := debhelper dh-dkms lintian

.PHONY: deb deb-deps dkms-headers

deb-deps:
	$(call apt_install,$(DEPS_DEB),--no-install-recommends)

deb: deb-deps uapi-headers
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)
	@echo "  DEBSRC  $(DEB_SRC)"
	@$(REPO)/mk/deb-src.sh $(REPO) $(TREE) $(SELFTEST_HDR) $(DEB_SRC) \
		$(DEB_VERSION) $(DKMS_MODULES)
	@echo "  DPKG    $(DEB_DIR)"
	@cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b \
		> $(DEB_DIR)/build.log 2>&1 || \
		{ tail -n 30 $(DEB_DIR)/build.log; exit 1; }
	@echo "  LINTIAN $(DEB_DIR)"
	@cd $(DEB_DIR) && lintian --fail-on error *.changes \
		> $(DEB_DIR)/lintian.log 2>&1 || \
		{ cat $(DEB_DIR)/lintian.log; exit 1; }
	@sed 's/^/  lintian: /' $(DEB_DIR)/lintian.log
	@ls $(DEB_DIR)/*.deb | sed 's/^/  DEB     /'

# Item 3 of the package's contract: every in-tree file that includes a
# header the series changes (other than by file-scope additions) belongs
# to a module of the package.
dkms-headers: tree
	@mkdir -p $(RESULTS)
	@rc=0; python3 $(REPO)/mk/dkms/headers.py $(REPO) $(BASE) $(TREE) \
		$(DKMS_MODULES) > $(RESULTS)/dkms-headers.log || rc=$$?; \
	grep -E '^not ok|^# ' $(RESULTS)/dkms-headers.log || true; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/dkms-headers.log \
		> $(RESULTS)/dkms-headers.counts; \
	echo "dkms-headers: $$(awk '{print $$1" passed, "$$2" failed"}' \
		$(RESULTS)/dkms-headers.counts)"; exit $$rc

CHECKS += dkms-headers

# make dkms-check: Debian's newest 6.12 kernel image from the archive
# (apt-get download, kept in $(DKMS_DIR)/debs; the host's packages are not
# changed) booted in the test VM with an initramfs of mk/dkms/init.c.
# There mk/dkms/vm.sh installs linux-headers and the package as a user
# would, checks dkms status, modinfo and that the loaded modules are the
# DKMS files; the kselftests run on them (mk/selftest.mk's loop and strict
# count); the e2e modes DKMS_E2E_WITH run with Debian's kernel as L1; the
# package is removed, the stock modules checked back and TUNGETVNETHASHCAP
# refused; DKMS_E2E_WITHOUT run on the stock modules (QEMU falls back as
# 7.2 does).
#   DKMS_BUILD=host  dkms builds the modules on the host (natively, in a
#                    root of the same packages) and the VM's dpkg -i takes
#                    them pre-built, the DKMS way (mk/dkms/vm.sh); =vm
#                    builds them in the VM, about 28 minutes under TCG
# Output: $(RESULTS)/dkms-check.log (KTAP), dkms-selftest.log, and
# dkms-check.counts (both).
DKMS_DIR := $(BUILD)/dkms
DKMS_SELFTESTS ?= tun_vnet_hash tun_vnet_hash_vhost tun_vnet_hash_fuzz tun tap
DKMS_E2E_WITH ?= vhost=on,vnet-hash=on
DKMS_E2E_WITHOUT ?= vhost=off,vnet-hash=auto
DKMS_E2E_FLOWS ?= 32
DKMS_TIMEOUT ?= 2400
DKMS_BUILD ?= host
# e2e-initrd by name: mk/e2e.mk, which sets E2E_INITRD, is read after this
# file, and a prerequisite list is expanded where it is read.
DKMS_E2E_DEPS ?= $(if $(strip $(DKMS_E2E_WITH)$(DKMS_E2E_WITHOUT)),kernel \
	qemu e2e-initrd)

.PHONY: dkms-check dkms-prepare

# The short fuzz on Debian's kernel, also under make check.
dkms-check: override SELFTEST_FUZZ_LONG := 0

dkms-prepare: deps
	@$(REPO)/mk/dkms/prepare.sh $(DKMS_DIR) $(REPO)/mk/dkms/init.c >/dev/null

dkms-check: deb selftest-build dkms-prepare $(DKMS_E2E_DEPS)
	@mkdir -p $(RESULTS)
	@rm -f $(RESULTS)/dkms-check.log $(RESULTS)/dkms-selftest.log
	@kver=$$(cat $(DKMS_DIR)/kver); start=$$(date +%s); rc=0; \
	export DKMS_DIR=$(DKMS_DIR) DEB_DIR=$(DEB_DIR) DKMS_BUILD=$(DKMS_BUILD); \
	if [ "$(DKMS_BUILD)" = host ]; then \
		echo "  DKMS    build for $$kver on the host"; \
		unshare -m --propagation private \
			bash $(REPO)/mk/dkms/vm.sh build > $(DKMS_DIR)/build.log 2>&1 || \
			{ cat $(DKMS_DIR)/build.log; exit 1; }; \
		grep '^# ' $(DKMS_DIR)/build.log; \
	else rm -rf $(DKMS_DIR)/prebuilt; fi; \
	echo "  DKMS    $$kver in the VM"; \
	VM_KERNEL=$(DKMS_DIR)/image/boot/vmlinuz-$$kver \
	VM_INITRD=$(DKMS_DIR)/initrd VM_MEM=3G VM_TIMEOUT=$(DKMS_TIMEOUT) \
	$(VM_RUN) 'export DKMS_DIR=$(DKMS_DIR) DEB_DIR=$(DEB_DIR) \
		DKMS_BUILD=$(DKMS_BUILD) \
		PATH=$$PATH:/usr/sbin:/sbin \
		E2E_CMD="python3 $(REPO)/mk/e2e/e2e.py --qemu $(QEMU_BIN) \
			--kernel $(E2E_BZIMAGE) --initrd $(E2E_INITRD) \
			--flows $(DKMS_E2E_FLOWS) --accel $(E2E_ACCEL) $(E2E_ARGS)"; \
		v=$(REPO)/mk/dkms/vm.sh; \
		bash $$v install >> $(RESULTS)/dkms-check.log 2>&1 || exit 1; \
		$(call selftest_loop,$(RESULTS)/dkms-selftest.log,$(DKMS_SELFTESTS)); \
		bash $$v e2e with $(DKMS_E2E_WITH) >> $(RESULTS)/dkms-check.log 2>&1; \
		bash $$v remove >> $(RESULTS)/dkms-check.log 2>&1; \
		bash $$v e2e without $(DKMS_E2E_WITHOUT) >> $(RESULTS)/dkms-check.log 2>&1; \
		exit 0' > $(DKMS_DIR)/vm.log 2>&1 || rc=$$?; \
	echo "# dkms-check: VM exit $$rc, wall time $$(($$(date +%s) - start)) s" \
		>> $(RESULTS)/dkms-check.log; \
	grep -aE '^(not )?ok |^# ' $(RESULTS)/dkms-check.log | \
		grep -E '^not ok|^# (dkms|e2e)' || true; \
	[ $$rc -eq 0 ] || { echo "not ok 1 dkms-check: VM exit $$rc" \
		>> $(RESULTS)/dkms-check.log; tail -n 20 $(DKMS_DIR)/vm.log; }; \
	[ -s $(RESULTS)/dkms-selftest.log ] || \
		echo "not ok 1 selftests: no output" \
			>> $(RESULTS)/dkms-selftest.log; \
	read -r p1 f1 < <($(REPO)/mk/counts.sh ktap $(RESULTS)/dkms-check.log); \
	read -r p2 f2 < <(python3 $(REPO)/mk/kselftest-counts.py \
		<(cat $(SELFTEST_SKIPS) $(REPO)/mk/dkms/selftest-skips) \
		$(RESULTS)/dkms-selftest.log); \
	echo "$$((p1 + p2)) $$((f1 + f2))" > $(RESULTS)/dkms-check.counts; \
	echo "dkms-check: $$p1/$$f1 install, removal, e2e;" \
		"$$p2/$$f2 kselftests (passed/failed)"; \
	[ $$((f1 + f2)) -eq 0 ]

CHECKS += dkms-check

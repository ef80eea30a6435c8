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
# changed) booted in the test VM with an initramfs of mk/dkms/init.c; there
# mk/dkms/vm.sh installs linux-headers and the package as a user would
# (dkms builds the modules in the VM), checks dkms status and modinfo, runs
# the kselftests (the fuzzer's short run), removes the package and checks
# that the stock modules are back and TUNGETVNETHASHCAP fails.
#   DKMS_E2E=1   also the e2e modes: DKMS_E2E_WITH with the package (the
#                patched QEMU and an L2 guest on Debian's kernel as L1),
#                DKMS_E2E_WITHOUT after its removal
# Output: $(RESULTS)/dkms-check.log (KTAP) and dkms-check.counts.
DKMS_DIR := $(BUILD)/dkms
DKMS_SELFTESTS ?= tun_vnet_hash tun_vnet_hash_vhost tun_vnet_hash_fuzz tun tap
DKMS_E2E ?= 0
DKMS_E2E_WITH ?= vhost=on,vnet-hash=on
DKMS_E2E_WITHOUT ?= vhost=off,vnet-hash=off
DKMS_E2E_FLOWS ?= 64
DKMS_TIMEOUT ?= 3000
DKMS_E2E_DEPS := $(if $(filter 1,$(DKMS_E2E)),e2e-kernel qemu e2e-initrd)

.PHONY: dkms-check dkms-prepare

dkms-prepare: e2e-deps
	@$(REPO)/mk/dkms/prepare.sh $(DKMS_DIR) $(REPO)/mk/dkms/init.c >/dev/null

dkms-check: deb selftest-build dkms-prepare $(DKMS_E2E_DEPS)
	@mkdir -p $(RESULTS)
	@kver=$$(cat $(DKMS_DIR)/kver); start=$$(date +%s); rc=0; \
	VM_KERNEL=$(DKMS_DIR)/image/boot/vmlinuz-$$kver \
	VM_INITRD=$(DKMS_DIR)/initrd VM_MEM=3G VM_TIMEOUT=$(DKMS_TIMEOUT) \
	$(VM_RUN) 'export DKMS_DIR=$(DKMS_DIR) DEB_DIR=$(DEB_DIR) \
		SELFTEST_OUT=$(SELFTEST_OUT) \
		DKMS_SELFTESTS="$(DKMS_SELFTESTS)" \
		$(if $(filter 1,$(DKMS_E2E)),DKMS_E2E_WITH="$(DKMS_E2E_WITH)" \
		DKMS_E2E_WITHOUT="$(DKMS_E2E_WITHOUT)" \
		E2E_CMD="python3 $(REPO)/mk/e2e/e2e.py --qemu $(QEMU_BIN) \
			--kernel $(E2E_BZIMAGE) --initrd $(E2E_INITRD) \
			--flows $(DKMS_E2E_FLOWS) --accel $(E2E_ACCEL) $(E2E_ARGS)"); \
		bash $(REPO)/mk/dkms/vm.sh' 2>&1 | \
		tee $(RESULTS)/dkms-check.log || rc=$$?; \
	echo "# dkms-check wall time: $$(($$(date +%s) - start)) s" | \
		tee -a $(RESULTS)/dkms-check.log; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/dkms-check.log \
		> $(RESULTS)/dkms-check.counts; \
	echo "dkms-check: $$(awk '{print $$1" passed, "$$2" failed"}' \
		$(RESULTS)/dkms-check.counts)"; exit $$rc

# Not in make check yet: under TCG the dkms build of the seven modules
# alone takes about 28 minutes here, past what CI's budget leaves.

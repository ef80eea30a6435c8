# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the patched kernel in the VM, create a multi-queue tap,
# configure RSS and hash report through the new ioctls, send many flows,
# and show the per-queue spread, the reported hashes checked against the
# userspace oracle, and the `ethtool -x` view (tools/net/tunrss).
#
#   DEMO_ARGS='--queues 8 --flows 1024 --bench'   passed to `tunrss demo`

TUNRSS := $(BUILD)/tools/tunrss
DEMO_ARGS ?= --queues 4 --flows 256

.PHONY: demo tunrss

tunrss: uapi-headers
	@mkdir -p $(dir $(TUNRSS))
	@$(MAKE) -s --no-print-directory -C $(REPO)/tools/net/tunrss \
		OUTPUT=$(dir $(TUNRSS)) \
		KHDR_INCLUDES="-isystem $(SELFTEST_HDR)/include"

demo: kernel tunrss
	@$(VM_RUN) 'export PATH=$$PATH:/usr/sbin:/sbin; \
		$(TUNRSS) caps && $(TUNRSS) demo $(DEMO_ARGS)'

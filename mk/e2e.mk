# SPDX-License-Identifier: GPL-2.0
#
# make e2e: the real client end to end.  The test VM (L1, the project's
# kernel) runs the patched QEMU of `make qemu` with a nested guest (L2:
# the same bzImage, whose config has BTF for the guest's XDP program, and
# mk/e2e/l2init.c as PID 1 of an initramfs) behind a 4-queue tap with
# rss=on,hash=on.  The guest's virtio_net driver configures RSS, L1
# checks `ethtool -x` on the tap and sends flows of every kind into it,
# the guest checks the hash, hash type and queue of every frame with XDP
# (mk/e2e/e2e.py has the oracle).  Output: $(RESULTS)/e2e.log (KTAP) and
# $(RESULTS)/e2e.counts.
#
#   E2E_MODES='vhost=off,vnet-hash=on ...'   the runs, one L2 boot each;
#       vnet-hash=off is the differential run: QEMU's own userspace RSS
#       steers and reports the same flows against the same oracle;
#       rss=off: a device with hash report and no RSS (rss=off,hash=on),
#       whose guest sends HASH_CONFIG then VQ_PAIRS_SET; one phase;
#       migrate (with vhost=on): live migration inside L1, refused by a
#       vnet-hash=off destination after phase 1 is configured, then done
#       to a vnet-hash=on one after phase 2 is; with vhost=on every phase
#       also checks that vhost-net moved the frames
#   E2E_FLOWS=256      flows of each of the 7 kinds per phase
#   E2E_FLOWS_RSSOFF=64  the same in the rss=off modes
#   E2E_FLOWS3=32      flows of each kind after `ethtool -L` follows
#                      `ethtool -X` (a third phase in every rss=on mode)
#   E2E_ACCEL=auto     L2 accelerator: kvm when L1 runs under KVM and has
#                      /dev/kvm, else tcg.  L1 under TCG has a /dev/kvm
#                      too (its CPU offers SVM, its kernel has kvm_amd),
#                      but on a loaded host L2 hung there in every mode
#                      of one run of two, each costing e2e.py's 180 s wait
#                      before it starts L2 again under TCG
#   E2E_ARGS=...       more e2e.py options (--seed N, --pace S, ...)

E2E_DIR := $(BUILD)/e2e
E2E_INITRD := $(E2E_DIR)/initrd.cpio.gz
# mk/vm.mk, included after this file, sets BZIMAGE: expand it late.
E2E_BZIMAGE = $(BZIMAGE)
E2E_MODES ?= vhost=off,vnet-hash=on vhost=off,vnet-hash=off \
	vhost=on,vnet-hash=on,migrate vhost=off,vnet-hash=on,rss=off \
	vhost=on,vnet-hash=on,rss=off
E2E_FLOWS ?= 256
E2E_FLOWS_RSSOFF ?= 64
E2E_FLOWS3 ?= 32
E2E_ACCEL ?= auto
E2E_ARGS ?=
E2E_TIMEOUT ?= 3000

.PHONY: e2e e2e-initrd demo-guest

comma := ,

$(E2E_DIR)/l2init: $(REPO)/mk/e2e/l2init.c
	@mkdir -p $(E2E_DIR)
	@echo "  CC      $@"
	@gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

$(E2E_INITRD): $(E2E_DIR)/l2init
	@rm -rf $(E2E_DIR)/root && mkdir -p $(E2E_DIR)/root
	@cp $< $(E2E_DIR)/root/init
	@cd $(E2E_DIR)/root && echo init | cpio -o -H newc --quiet | \
		gzip -1 > $@.tmp && mv $@.tmp $@
	@echo "  INITRD  $@"

e2e-initrd: $(E2E_INITRD)

# $(call e2e_run,MODES,FLOWS): run e2e.py in the VM once per mode.
e2e_run = VM_TIMEOUT=$(E2E_TIMEOUT) VM_MEM=1G $(VM_RUN) \
	'export PATH=$$PATH:/usr/sbin:/sbin; rc=0; accel=$(E2E_ACCEL); \
	[ $$accel = auto ] && grep -q ^tcg $(BUILD)/vm/accel-used && \
		accel=tcg; \
	for m in $(1); do \
		vhost=$${m\#vhost=}; vhost=$${vhost%%,*}; \
		vh=$${m\#*vnet-hash=}; vh=$${vh%%,*}; \
		rss=on; flows=$(2); mig=; \
		case $$m in *rss=off*) rss=off; flows=$(E2E_FLOWS_RSSOFF);; esac; \
		case $$m in *migrate*) mig=--migrate;; esac; \
		tag=$$vhost-$$vh-rss$$rss$${mig:+-migrate}; \
		python3 $(REPO)/mk/e2e/e2e.py --qemu $(QEMU_BIN) \
			--kernel $(E2E_BZIMAGE) --initrd $(E2E_INITRD) \
			--vhost $$vhost --vnet-hash $$vh --rss $$rss $$mig \
			--flows $$flows --flows3 $(E2E_FLOWS3) \
			--accel $$accel \
			--log $(E2E_DIR)/l2-$$tag.log \
			$(E2E_ARGS) || rc=1; \
	done; exit $$rc'

e2e: kernel qemu $(E2E_INITRD)
	@mkdir -p $(RESULTS)
	@rc=0; $(call e2e_run,$(E2E_MODES),$(E2E_FLOWS)) 2>&1 | \
		tee $(RESULTS)/e2e.log || rc=$$?; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/e2e.log > $(RESULTS)/e2e.counts; \
	echo "e2e: $$(awk '{print $$1" passed, "$$2" failed"}' \
		$(RESULTS)/e2e.counts)"; exit $$rc

# make demo-guest: the guest's view of one run (vhost=off, tun hashing):
# what its XDP program read for a few frames, its per-queue and per-type
# counts, and its verdict; the whole log is in $(RESULTS)/demo-guest.log.
DEMO_GUEST_FLOWS ?= 64

demo-guest: kernel qemu $(E2E_INITRD)
	@mkdir -p $(RESULTS)
	@rc=0; $(call e2e_run,vhost=off$(comma)vnet-hash=on,$(DEMO_GUEST_FLOWS)) \
		> $(RESULTS)/demo-guest.log 2>&1 || rc=$$?; \
	grep -E '^(not )?ok|# L2: .*E2E (RSS|SAMPLE|QUEUES|TYPES|RESULT)|^# (e2e|phase)' \
		$(RESULTS)/demo-guest.log | sed 's/^# L2: .*E2E /  guest: /'; \
	exit $$rc

# make check builds the patched QEMU (make qemu) and runs every mode.
CHECKS += e2e

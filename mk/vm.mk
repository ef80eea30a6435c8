# SPDX-License-Identifier: GPL-2.0
#
# Test VM: an x86_64 bzImage built out of tree from the assembled tree,
# booted under qemu with the host's / as a read-only virtio-9p root.
#
#   make kernel                 build (incrementally) $(BZIMAGE)
#   make -s kernel-path         print the bzImage path
#   make vm-run CMD='...'       run CMD as root in the VM
#
# make itself can only exit 0 or 2: `make vm-run` fails when CMD fails and
# prints "vm-run: exit status N"; $(VM_RUN) (mk/vm/run.sh) exits with N.
#
# Other targets run commands in the VM with $(VM_RUN) 'command' after
# depending on `kernel`.  See mk/vm/run.sh for the VM_* knobs (VM_TIMEOUT,
# VM_MEM, VM_SMP, VM_ACCEL, VM_VERBOSE, VM_ALLOW_WARN, ...).

ifeq ($(LINUX_SRC),)
KERNEL_BUILD := $(BUILD)/x86
else
KERNEL_BUILD := $(BUILD)/x86-$(notdir $(BASE))
endif
KERNEL_CONFIG_FRAGMENT := $(REPO)/mk/vm/kernel.config
BZIMAGE := $(KERNEL_BUILD)/arch/x86/boot/bzImage
KMAKE = $(MAKE) --no-print-directory -C $(TREE) O=$(KERNEL_BUILD) \
	ARCH=x86_64 -j$(JOBS)

# The kernel run.sh boots; a recipe does: $(VM_RUN) 'command'.
VM_KERNEL ?= $(BZIMAGE)
export VM_KERNEL
VM_RUN := $(REPO)/mk/vm/run.sh

.PHONY: kernel kernel-config kernel-path vm-run vm-accel

# tinyconfig plus the project fragment; regenerated when the fragment
# changes.  merge_config.sh warns about any requested value that did not
# survive (a missing dependency).
$(KERNEL_BUILD)/.config: $(KERNEL_CONFIG_FRAGMENT) | tree
	@mkdir -p $(KERNEL_BUILD)
	@echo "  CONFIG  $(KERNEL_BUILD) (tinyconfig + mk/vm/kernel.config)"
	@$(KMAKE) -s tinyconfig >/dev/null
	@cd $(TREE) && ARCH=x86_64 scripts/kconfig/merge_config.sh -m \
		-O $(KERNEL_BUILD) $(KERNEL_BUILD)/.config \
		$(KERNEL_CONFIG_FRAGMENT) >/dev/null
	@$(KMAKE) -s olddefconfig >/dev/null
	@$(REPO)/mk/vm/check-config.sh $(KERNEL_CONFIG_FRAGMENT) \
		$(KERNEL_BUILD)/.config

kernel-config: $(KERNEL_BUILD)/.config

# flock: two make invocations must not build in $(KERNEL_BUILD) at once.
kernel: tree $(KERNEL_BUILD)/.config
	@flock $(KERNEL_BUILD)/.build-lock $(KMAKE) bzImage
	@echo "  KERNEL  $(BZIMAGE)"

kernel-path:
	@echo $(BZIMAGE)

# VM_NOBUILD=1 boots the existing bzImage without rebuilding it.
ifneq ($(filter vm-run,$(MAKECMDGOALS)),)
ifeq ($(strip $(value CMD)),)
$(error usage: make vm-run CMD='command')
endif
endif

# CMD reaches the VM verbatim (no make expansion of '$').
vm-run: $(if $(VM_NOBUILD),,kernel)
	@$(VM_RUN) "$$VM_RUN_CMD"
vm-run: export VM_RUN_CMD = $(value CMD)

# The accelerator choice of run.sh, against a qemu whose KVM fails the way
# it does on some machines of this kind (mk/vm/test-accel.sh).
vm-accel: kernel
	@mkdir -p $(RESULTS)
	@rc=0; $(REPO)/mk/vm/test-accel.sh $(BUILD)/vm/accel-test \
		> $(RESULTS)/vm-accel.log || rc=$$?; \
	grep -E '^not ok|^# [0-9]+ passed' $(RESULTS)/vm-accel.log || true; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/vm-accel.log \
		> $(RESULTS)/vm-accel.counts; exit $$rc

CHECKS += vm-accel

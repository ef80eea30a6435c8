// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the initramfs with which mk/dkms-check.sh boots Debian's own
 * kernel image in the test VM.  That kernel has 9p, 9pnet_virtio, netfs
 * and overlay as modules (virtio-pci is built in), so this loads the
 * modules listed, in order, in /modules (one path a line, dependencies
 * first; .ko.xz decompressed by the kernel), mounts the root the way
 * mk/vm/run.sh asks on the command line (root=, rootfstype=, rootflags=),
 * moves it over / and executes its init= (mk/vm/init.sh), as a kernel
 * with those built in would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static void fail(const char *what)
{
	fprintf(stderr, "dkms-initrd: %s: %s\n", what, strerror(errno));
	sleep(1);
	_exit(1);	/* the kernel panics; run.sh reports it */
}

static char *arg(const char *cmdline, const char *key)
{
	size_t n = strlen(key);
	const char *p = cmdline;

	while ((p = strstr(p, key))) {
		if (p == cmdline || p[-1] == ' ') {
			const char *e = p + n;

			while (*e && *e != ' ' && *e != '\n')
				e++;
			return strndup(p + n, e - (p + n));
		}
		p += n;
	}
	return NULL;
}

int main(void)
{
	char cmdline[4096] = "", line[512];
	char *root, *type, *flags, *init;
	FILE *f;
	int fd;

	mkdir("/proc", 0755);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL))
		fail("mount /proc");
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* what udev adds to it, and bash's <(...) needs */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0 || read(fd, cmdline, sizeof(cmdline) - 1) < 0)
		fail("/proc/cmdline");
	close(fd);

	f = fopen("/modules", "r");
	if (!f)
		fail("/modules");
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		int flags_ = 0;

		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		if (!n)
			continue;
		if (n > 3 && !strcmp(line + n - 3, ".xz"))
			flags_ = MODULE_INIT_COMPRESSED_FILE;
		fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail(line);
		if (syscall(SYS_finit_module, fd, "", flags_) && errno != EEXIST)
			fail(line);
		close(fd);
	}
	fclose(f);

	root = arg(cmdline, "root=");
	type = arg(cmdline, "rootfstype=");
	flags = arg(cmdline, "rootflags=");
	init = arg(cmdline, "init=");
	if (!root || !type || !init)
		fail("root=, rootfstype= and init= are needed");
	mkdir("/newroot", 0755);
	if (mount(root, "/newroot", type, MS_RDONLY, flags))
		fail("mount root");
	umount2("/proc", MNT_DETACH);
	/* devtmpfs at the root's /dev, as CONFIG_DEVTMPFS_MOUNT gives a
	 * kernel booted without an initramfs: /dev/vhost-net, /dev/tapN */
	if (mount("/dev", "/newroot/dev", NULL, MS_MOVE, NULL))
		fail("move /dev");
	if (chdir("/newroot") || mount(".", "/", NULL, MS_MOVE, NULL) ||
	    chroot(".") || chdir("/"))
		fail("switch root");
	execl(init, init, (char *)NULL);
	fail(init);
	return 1;
}

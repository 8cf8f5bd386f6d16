/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

const char *egw_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFIFO:
		return "FIFO";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFSOCK:
		return "socket";
	case S_IFLNK:
		return "symbolic link";
	default:
		return "unknown file type";
	}
}

/* The type and size of an fd opened with O_NONBLOCK; then the fd blocks again. 0 or -errno. */
static int check_fd(int fd, bool limit_size, char *why, size_t whylen)
{
	struct stat st;
	int flags;

	if (fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot open: %s", strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "is not a regular file (%s)", egw_file_type_name(st.st_mode));
		return -EINVAL;
	}
	if (limit_size && st.st_size > (off_t)EGW_FILE_MAX_BYTES) {
		snprintf(why, whylen, "is larger than %s", EGW_FILE_MAX_TEXT);
		return -EFBIG;
	}
	/* Regular files ignore O_NONBLOCK today; clear it so no future kind of file surprises. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot open: %s", strerror(e));
		return -e;
	}
	return 0;
}

static int open_checked(const char *path, int flags, mode_t mode, bool limit_size, char *why,
	size_t whylen)
{
	int fd, rc;

	/* O_NONBLOCK: a FIFO would otherwise block open() until its other end appears. */
	fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);
	if (fd < 0) {
		int e = errno;
		struct stat st;

		/* Say what is there when that is why (a directory for writing: EISDIR; a FIFO
		 * without a reader: ENXIO; a socket: ENXIO). */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			snprintf(why, whylen, "is not a regular file (%s)",
				egw_file_type_name(st.st_mode));
			return -EINVAL;
		}
		snprintf(why, whylen, "cannot open: %s", strerror(e));
		return -e;
	}
	rc = check_fd(fd, limit_size, why, whylen);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int egw_file_open_read(const char *path, char *why, size_t whylen)
{
	return open_checked(path, O_RDONLY, 0, true, why, whylen);
}

int egw_file_open_append(const char *path, mode_t mode, char *why, size_t whylen)
{
	return open_checked(path, O_WRONLY | O_APPEND | O_CREAT, mode, false, why, whylen);
}

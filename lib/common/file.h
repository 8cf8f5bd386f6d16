/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_FILE_H
#define EGW_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Files the appliance opens because a configuration names them: the config itself, the policy
 * files, the flow log. Only regular files: a FIFO blocks open() until a peer comes, /dev/zero
 * and /proc/self/pagemap never end, a directory or a device is a mistake. Opening never blocks
 * (O_NONBLOCK until the type is known), so --check cannot hang and a reload cannot stall the
 * control thread on a file.
 */

/* The most one configuration or policy file may hold; a documented limit. */
#define EGW_FILE_MAX_BYTES (16u << 20)
#define EGW_FILE_MAX_TEXT "16 MiB"

/*
 * Opens PATH for reading: a regular file of at most EGW_FILE_MAX_BYTES. Returns the fd, or
 * -errno with WHY set to what to tell the operator after the file's name: "is not a regular
 * file (FIFO)" (-EINVAL), "is larger than 16 MiB" (-EFBIG), "cannot open: <strerror>". The size
 * is the one fstat reports now: a reader still stops after EGW_FILE_MAX_BYTES (a file may grow,
 * and /proc files report 0).
 */
int egw_file_open_read(const char *path, char *why, size_t whylen);

/*
 * Opens PATH for appending, creating it with MODE when it does not exist; an existing PATH must
 * be a regular file (a FIFO would block every write of the control thread). The fd, or -errno
 * with WHY as above.
 */
int egw_file_open_append(const char *path, mode_t mode, char *why, size_t whylen);

/* "FIFO", "directory", "character device", ... for a st_mode. */
const char *egw_file_type_name(mode_t mode);

#endif

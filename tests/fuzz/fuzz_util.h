/* fuzz_util.h - helpers shared by the libFuzzer targets (not part of
 * make check; tests/fuzz/run.sh builds and runs them). */
#ifndef IGR_FUZZ_UTIL_H
#define IGR_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io.h"

/* An igr_in reading DATA from memory (through a memfd, so the real read
 * path, gzip detection included, is what runs).  NULL if memfd fails. */
static inline igr_in *fuzz_input(const unsigned char *data, size_t size)
{
	char path[64];
	igr_in *in;
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return NULL;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return NULL;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	in = igr_in_open(path);
	close(fd); /* the igr_in holds its own descriptor */
	return in;
}

/* A property the target checks failed: crash so libFuzzer keeps it. */
#define FUZZ_ASSERT(c)                                                       \
	do {                                                                 \
		if (!(c)) {                                                  \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,   \
				#c);                                         \
			abort();                                             \
		}                                                            \
	} while (0)

#endif

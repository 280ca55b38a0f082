/* fuzz_model.c - the model file loader (igr_model_load), which
 * igraph-propagate and igraph-recommend run on files given by users.
 *
 * Properties: no crash, leak or sanitizer error on any bytes; a damaged
 * file is refused, never half loaded. */
#include "fuzz_util.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[64];
	igr_model *m;
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		return 0;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	m = igr_model_load(path);
	if (m != NULL) {
		size_t i;
		/* every array holds what its dimensions say */
		for (i = 0; i < m->narr; i++)
			FUZZ_ASSERT(m->arr[i].data != NULL);
		igr_model_free(m);
	}
	close(fd);
	return 0;
}

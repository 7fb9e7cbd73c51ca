/* tests/fuzz/fuzz_util.c: the fuzz targets' shared helpers (fuzz.h). */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/core/vmm.h"

void fuzz_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	if (!getenv("FUZZ_VERBOSE")) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			vmm_log_set_fd(fd);
		vmm_log_quiet = 1;
	}
}

const char *fuzz_file(unsigned slot, const uint8_t *d, size_t n)
{
	static int fds[4] = { -1, -1, -1, -1 };
	static char paths[4][64];
	slot &= 3;
	if (fds[slot] < 0) {
		fds[slot] = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fds[slot] < 0) {
			perror("fuzz: memfd_create");
			abort();
		}
		snprintf(paths[slot], sizeof(paths[slot]), "/proc/self/fd/%d", fds[slot]);
	}
	if (ftruncate(fds[slot], 0) || (n && pwrite(fds[slot], d, n, 0) != (ssize_t)n)) {
		perror("fuzz: writing the input file");
		abort();
	}
	return paths[slot];
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->pos < in->n ? in->d[in->pos++] : 0;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)(fuzz_u8(in) | fuzz_u8(in) << 8);
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	return fuzz_u16(in) | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_u32(in) | (uint64_t)fuzz_u32(in) << 32;
}

bool fuzz_done(const struct fuzz_in *in)
{
	return in->pos >= in->n;
}

const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t len, size_t *got)
{
	size_t left = in->n - in->pos;
	*got = len < left ? len : left;
	const uint8_t *p = in->d + in->pos;
	in->pos += *got;
	return p;
}


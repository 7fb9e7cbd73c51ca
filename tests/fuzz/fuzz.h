/* tests/fuzz/fuzz.h: what the libFuzzer targets share (tests/fuzz/fuzz_*.c,
 * docs/fuzzing.md). Each target defines LLVMFuzzerTestOneInput() over one
 * parser or device model; these helpers give it a file to read, a quiet
 * log, a cursor over the input, and an exit() that returns to the target
 * (the config reader exits on bad input, as its contract says). */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The target's entry (libFuzzer calls it once per input). */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Once per process: the VMM's log goes to /dev/null unless FUZZ_VERBOSE is
 * set (reproducing a crash). */
void fuzz_init(void);

/* (n) bytes at (d) as the contents of a file; returns its path (one per
 * slot 0..3, rewritten on each call; a memfd, so no disk I/O). */
const char *fuzz_file(unsigned slot, const uint8_t *d, size_t n);

/* A cursor over the input: take bytes; past the end everything reads 0. */
struct fuzz_in {
	const uint8_t *d;
	size_t n, pos;
};
uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
bool fuzz_done(const struct fuzz_in *in);
/* The next (len) bytes, fewer at the end (*got says how many). */
const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t len, size_t *got);

/* exit() from code under test returns here when armed (targets that link
 * with -Wl,--wrap=exit); otherwise it exits. */
extern jmp_buf fuzz_exit_jmp;
extern volatile int fuzz_exit_armed;

#endif

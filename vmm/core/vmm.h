/* vmm.h: what every Triplex source file needs: address types, attributes,
 * logging with per-module debug switches, and always-on assertions. */
#ifndef VMM_CORE_VMM_H
#define VMM_CORE_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef uint64_t gpa_t; /* guest physical address */
typedef uint64_t gva_t; /* guest virtual (linear) address */

#define VMM_MUST_CHECK __attribute__((warn_unused_result))
#define VMM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define VMM_NORETURN __attribute__((noreturn))
#define VMM_UNUSED __attribute__((unused))
#define VMM_LIKELY(x) __builtin_expect(!!(x), 1)
#define VMM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VMM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VMM_ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define VMM_ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define VMM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VMM_MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB (1024ull)
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

/* Modules whose debug output can be switched on at run time (--log=bt,io). */
enum log_module {
	LOG_core,
	LOG_io,
	LOG_mem,
	LOG_dev,
	LOG_irq,
	LOG_load,
	LOG_hw,
	LOG_bt,
	LOG_pv,
	LOG_sel,
	LOG_mon,
	LOG_perf,
	LOG_NR
};

extern unsigned vmm_log_mask;   /* bit per enum log_module */
extern int vmm_log_quiet;       /* 1: errors only (no info/warn) */

void vmm_err(const char *fmt, ...) VMM_PRINTF(1, 2);
void vmm_warn(const char *fmt, ...) VMM_PRINTF(1, 2);
void vmm_info(const char *fmt, ...) VMM_PRINTF(1, 2);
void vmm_log_debug(const char *mod, const char *fmt, ...) VMM_PRINTF(2, 3);

/* Debug output for (mod), one of the enum log_module names without LOG_. */
#define vmm_debug(mod, ...)                                                    \
	do {                                                                   \
		if (VMM_UNLIKELY(vmm_log_mask & (1u << LOG_##mod)))            \
			vmm_log_debug(#mod, __VA_ARGS__);                      \
	} while (0)

/* Enable debug output for a comma-separated list of modules ("bt,io", "all").
 * Returns 0, or -EINVAL after logging the unknown name. */
VMM_MUST_CHECK int vmm_log_parse(const char *spec);
/* The comma-separated list of module names, for help texts. */
const char *vmm_log_modules(void);

/* Where log lines go (default stderr); for tests. */
void vmm_log_set_fd(int fd);

VMM_NORETURN void vmm_assert_fail(const char *cond, const char *file, int line);
/* Stays on in release builds; (c) must not have side effects. */
#define VMM_ASSERT(c)                                                          \
	do {                                                                   \
		if (VMM_UNLIKELY(!(c)))                                        \
			vmm_assert_fail(#c, __FILE__, __LINE__);               \
	} while (0)

/* Monotonic host time in nanoseconds. */
uint64_t vmm_now_ns(void);

/* Parse a size such as "128M", "1G", "4096", "64k" (binary units).
 * Returns 0, or -EINVAL for anything else (including overflow). */
VMM_MUST_CHECK int vmm_parse_size(const char *s, uint64_t *out);
/* Parse an unsigned integer in C syntax (0x.., decimal). 0 or -EINVAL. */
VMM_MUST_CHECK int vmm_parse_u64(const char *s, uint64_t *out);

/* FNV-1a 64 over (len) bytes, continuing from (h) (start: VMM_FNV_INIT).
 * For fingerprints and image keys, not for security. */
#define VMM_FNV_INIT 0xcbf29ce484222325ull
uint64_t vmm_fnv1a(uint64_t h, const void *data, size_t len);

#endif

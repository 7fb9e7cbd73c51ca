/* log.c: vmm_err/warn/info/debug, the per-module debug mask, assertions and
 * small parsing helpers shared by the CLI and the config reader. */
#include "vmm/core/vmm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

unsigned vmm_log_mask;
int vmm_log_quiet;
static int log_fd = 2;

static const char *const log_names[LOG_NR] = {
	[LOG_core] = "core", [LOG_io] = "io",   [LOG_mem] = "mem",
	[LOG_dev] = "dev",   [LOG_irq] = "irq", [LOG_load] = "load",
	[LOG_hw] = "hw",     [LOG_bt] = "bt",   [LOG_pv] = "pv",
	[LOG_sel] = "sel",   [LOG_mon] = "mon", [LOG_perf] = "perf",
};

void vmm_log_set_fd(int fd)
{
	log_fd = fd;
}

/* One write() per line so lines from several vCPU threads never interleave. */
static void log_line(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "triplex: %s", prefix);
	if (n < 0)
		return;
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	ssize_t w = write(log_fd, buf, len);
	(void)w; /* best effort: nowhere else to report */
}

void vmm_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void vmm_warn(const char *fmt, ...)
{
	if (vmm_log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

void vmm_info(const char *fmt, ...)
{
	if (vmm_log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void vmm_log_debug(const char *mod, const char *fmt, ...)
{
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "[%s] ", mod);
	va_list ap;
	va_start(ap, fmt);
	log_line(prefix, fmt, ap);
	va_end(ap);
}

int vmm_log_parse(const char *spec)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", spec);
	unsigned mask = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "all")) {
			mask = (1u << LOG_NR) - 1;
			continue;
		}
		unsigned i;
		for (i = 0; i < LOG_NR; i++)
			if (!strcmp(t, log_names[i]))
				break;
		if (i == LOG_NR) {
			vmm_err("--log: unknown module '%s' (modules: %s)", t,
				vmm_log_modules());
			return -EINVAL;
		}
		mask |= 1u << i;
	}
	vmm_log_mask = mask;
	return 0;
}

const char *vmm_log_modules(void)
{
	static char list[128];
	if (!list[0]) {
		size_t off = 0;
		for (unsigned i = 0; i < LOG_NR; i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
						"%s%s", i ? "," : "", log_names[i]);
		snprintf(list + off, sizeof(list) - off, ",all");
	}
	return list;
}

void vmm_assert_fail(const char *cond, const char *file, int line)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "triplex: internal error: assertion '%s' failed at %s:%d\n",
			 cond, file, line);
	if (n > 0) {
		ssize_t w = write(2, buf, (size_t)VMM_MIN(n, (int)sizeof(buf)));
		(void)w;
	}
	abort();
}

uint64_t vmm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vmm_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int vmm_parse_size(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ull >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

uint64_t vmm_fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

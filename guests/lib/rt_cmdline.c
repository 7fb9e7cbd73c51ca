/* guests/lib/rt_cmdline.c: the Multiboot command line. QEMU and Triplex
 * both pass "KERNELPATH ARGS", so the first word is skipped. Words:
 * "quick", "iters=N", "console=e9". */
#include "rt.h"

struct rt_cmdline rt_cmd;

static bool word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && strncmp(w, lit, n) == 0;
}

static uint64_t parse_u64(const char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

static void parse_word(const char *w, size_t n)
{
	if (word_is(w, n, "quick"))
		rt_cmd.quick = true;
	else if (word_is(w, n, "console=e9"))
		rt_cmd.e9 = true;
	else if (n > 6 && strncmp(w, "iters=", 6) == 0) {
		rt_cmd.iters = parse_u64(w + 6, n - 6);
		rt_cmd.have_iters = rt_cmd.iters != 0;
	}
}

void cmdline_parse(const char *s)
{
	bool first = true;

	while (*s) {
		const char *w;

		while (*s == ' ' || *s == '\t')
			s++;
		w = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (s == w)
			break;
		if (!first)
			parse_word(w, (size_t)(s - w));
		first = false;
	}
}

uint64_t rt_iters(uint64_t full, uint64_t quick)
{
	if (rt_cmd.have_iters)
		return rt_cmd.iters;
	return rt_cmd.quick ? quick : full;
}

/* tests/fuzz/fuzz_report.c: the perf-report reader (perf/report.c: a run's
 * serial output with its bench lines, and its --stats-json document) and
 * the text and HTML renderers fed with what it read: a guest prints what it
 * likes and a stats file may be damaged. Two engines with one run each
 * read the same files, so medians, regret and the renderers see two rows.
 * Input: the serial text, a 0xff byte, the stats JSON. */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <string.h>

#include "perf/report.h"
#include "vmm/core/guest.h"
#include "vmm/core/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_init();
	static FILE *null;
	if (!null && !(null = fopen("/dev/null", "w")))
		__builtin_trap();
	const uint8_t *sep = memchr(d, 0xff, n);
	size_t slen = sep ? (size_t)(sep - d) : n;
	const char *serial = fuzz_file(0, d, slen);
	const char *stats = sep ? fuzz_file(1, sep + 1, n - slen - 1) : fuzz_file(1, NULL, 0);
	static struct report r;
	struct host_caps caps;
	struct guest_desc g;
	memset(&caps, 0, sizeof(caps));
	memset(&g, 0, sizeof(g));
	snprintf(g.info.name, sizeof(g.info.name), "fuzz.elf");
	g.info.bits = 32;
	report_init(&r, &caps, &g, "fuzz.elf", "quick", 1);
	static const char *const names[] = { "bt", "pv" };
	for (unsigned i = 0; i < 2; i++) {
		struct report_engine *e = report_add_engine(&r, names[i]);
		struct report_run *run = report_add_run(e);
		run->wall_ms = 10.0 + i;
		run->status = 1;
		snprintf(run->serial_path, sizeof(run->serial_path), "%s", serial);
		snprintf(run->stats_path, sizeof(run->stats_path), "%s", stats);
		snprintf(run->stderr_path, sizeof(run->stderr_path), "%s", "/dev/null");
		report_collect_run(e, run);
	}
	report_finish(&r);
	report_render_text(r.doc, null);
	report_render_html(r.doc, null);
	report_fini(&r);
	return 0;
}

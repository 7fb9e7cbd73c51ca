/* sel_profile.c: workload profiles. A profile is a set of rates per
 * millisecond of native execution (instructions by ring, exits, page
 * faults, PTE updates, system calls): from a named class, from explicit
 * rates in the config's "workload", and, best, what a profiled run of the
 * same image measured on this host (stored by `triplex perf`). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmm/select/select.h"

/* Native instructions per millisecond the class rates assume (~3 per ns). */
#define NATIVE_INSNS_PER_MS 3.0e6

static const struct {
	const char *name;
	double kernel_share, exits, page_faults, pte_updates, syscalls;
} classes[] = {
	/* user-mode computation with a timer tick */
	{ "compute", 0.01, 0.2, 0.5, 0.1, 2 },
	/* kernel-mode computation */
	{ "kernel", 0.99, 1, 1, 1, 0 },
	/* a driver banging on ports */
	{ "io", 0.5, 300, 1, 1, 50 },
	/* system-call heavy user code */
	{ "syscall", 0.5, 1, 1, 1, 3000 },
	/* memory-management heavy (fork/exec, faults) */
	{ "pagefault", 0.5, 1, 300, 300, 10 },
	/* an OS doing a bit of everything */
	{ "mixed", 0.3, 20, 20, 20, 200 },
};

const char *sel_profile_classes(void)
{
	return "compute, kernel, io, syscall, pagefault, mixed";
}

static void set_share(struct sel_profile *p, double k)
{
	p->ring0_insns = k * NATIVE_INSNS_PER_MS;
	p->ring3_insns = (1 - k) * NATIVE_INSNS_PER_MS;
}

int sel_profile_class(const char *name, struct sel_profile *p)
{
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(classes); i++) {
		if (strcmp(classes[i].name, name))
			continue;
		memset(p, 0, sizeof(*p));
		set_share(p, classes[i].kernel_share);
		p->exits = classes[i].exits;
		p->page_faults = classes[i].page_faults;
		p->pte_updates = classes[i].pte_updates;
		p->syscalls = classes[i].syscalls;
		snprintf(p->source, sizeof(p->source), "workload class '%s'", name);
		return 0;
	}
	return -EINVAL;
}

static int rate(json_t *w, const char *key, double max, double *out, char *err, size_t len)
{
	json_t *v = json_object_get(w, key);
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > max) {
		snprintf(err, len, "field 'workload.%s': expected a number from 0 to %g", key, max);
		return -EINVAL;
	}
	*out = json_number_value(v);
	return 1;
}

int sel_profile_from_json(json_t *w, struct sel_profile *p, char *err, size_t len)
{
	if (!json_is_object(w)) {
		snprintf(err, len, "field 'workload': expected an object");
		return -EINVAL;
	}
	const char *key;
	json_t *v;
	static const char *const known[] = { "class", "kernel_share", "io_per_ms",
					     "pagefaults_per_ms", "pte_updates_per_ms",
					     "syscalls_per_ms" };
	json_object_foreach(w, key, v) {
		unsigned i;
		for (i = 0; i < VMM_ARRAY_SIZE(known) && strcmp(known[i], key); i++)
			;
		if (i == VMM_ARRAY_SIZE(known)) {
			snprintf(err, len, "unknown field 'workload.%s'", key);
			return -EINVAL;
		}
	}
	json_t *cls = json_object_get(w, "class");
	const char *name = cls ? json_string_value(cls) : "mixed";
	if (!name || sel_profile_class(name, p)) {
		snprintf(err, len, "field 'workload.class': expected one of %s",
			 sel_profile_classes());
		return -EINVAL;
	}
	double k = -1;
	int r, any = 0;
	if ((r = rate(w, "kernel_share", 1, &k, err, len)) < 0)
		return r;
	if (r)
		set_share(p, k);
	any |= r;
	if ((r = rate(w, "io_per_ms", 1e6, &p->exits, err, len)) < 0)
		return r;
	any |= r;
	if ((r = rate(w, "pagefaults_per_ms", 1e6, &p->page_faults, err, len)) < 0)
		return r;
	any |= r;
	if ((r = rate(w, "pte_updates_per_ms", 1e6, &p->pte_updates, err, len)) < 0)
		return r;
	any |= r;
	if ((r = rate(w, "syscalls_per_ms", 1e6, &p->syscalls, err, len)) < 0)
		return r;
	any |= r;
	if (any)
		snprintf(p->source, sizeof(p->source), "config workload%s%s%s",
			 cls ? " (class '" : "", cls ? name : "", cls ? "' with explicit rates)" : "");
	return 0;
}

static int measured_path(const char *fp, uint64_t hash, char *buf, size_t len, bool mk)
{
	char kind[48];
	snprintf(kind, sizeof(kind), "profile-%016llx", (unsigned long long)hash);
	return host_cache_path(kind, fp, buf, len, mk);
}

bool sel_profile_load_measured(const char *fp, uint64_t hash, struct sel_profile *p)
{
	char path[600];
	if (measured_path(fp, hash, path, sizeof(path), false))
		return false;
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		return false;
	const char *eng;
	json_t *v;
	p->nr_measured = 0;
	json_object_foreach(json_object_get(j, "engines"), eng, v) {
		double ms = json_number_value(json_object_get(v, "wall_ms"));
		if (p->nr_measured < SEL_MAX_ENGINES && ms > 0) {
			snprintf(p->measured[p->nr_measured].engine, 8, "%s", eng);
			p->measured[p->nr_measured++].wall_ms = ms;
		}
	}
	const char *when = json_string_value(json_object_get(j, "when"));
	snprintf(p->measured_when, sizeof(p->measured_when), "%s", when ? when : "?");
	json_decref(j);
	return p->nr_measured > 0;
}

void sel_profile_store_measured(const char *fp, uint64_t hash, const char *name,
				const struct sel_profile *p)
{
	char path[600], when[32];
	if (measured_path(fp, hash, path, sizeof(path), true))
		return;
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_t *engines = json_object();
	for (unsigned i = 0; i < p->nr_measured; i++)
		json_object_set_new(engines, p->measured[i].engine,
				    json_pack("{s:f}", "wall_ms", p->measured[i].wall_ms));
	host_cache_store(path, json_pack("{s:s, s:s, s:o}", "image", name, "when", when,
					"engines", engines));
}

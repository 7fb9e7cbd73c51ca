/* cli_perf.c: `triplex perf`: run a guest under every engine that can run
 * it, N times each, as child `triplex run` processes (a crashing engine
 * cannot take the report down), and write report.{txt,json,html}: wall
 * times, the guest's own bench lines, counters, and the policy's choice with
 * its regret. The measured medians are stored as this image's profile. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "perf/report.h"
#include "vmm/cli/cli.h"
#include "vmm/core/engine.h"
#include "vmm/core/vm.h"
#include "vmm/select/select.h"

static void VMM_NORETURN perf_fail(const char *msg, const char *arg)
{
	fprintf(stderr, "triplex: perf: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	exit(2);
}

/* Run `triplex run ARGS --mode E` once; fills the run's record. */
static int run_once(const struct run_config *o, const char *engine, unsigned k,
		    struct report_run *run)
{
	char serial[700], stats[700], err[700];
	snprintf(serial, sizeof(serial), "%s/runs/%s-%u.serial", o->perf_out, engine, k);
	snprintf(stats, sizeof(stats), "%s/runs/%s-%u.json", o->perf_out, engine, k);
	snprintf(err, sizeof(err), "%s/runs/%s-%u.stderr", o->perf_out, engine, k);
	char serial_arg[720];
	snprintf(serial_arg, sizeof(serial_arg), "file:%s", serial);
	char **argv = calloc((size_t)o->pass_argc + 16, sizeof(char *));
	if (!argv)
		return -ENOMEM;
	int n = 0;
	argv[n++] = "triplex";
	argv[n++] = "run";
	for (int i = 0; i < o->pass_argc; i++)
		argv[n++] = o->pass_argv[i];
	argv[n++] = "--mode";
	argv[n++] = (char *)engine;
	if (!strcmp(engine, "auto")) /* a first launch: the model, then run-time switches */
		argv[n++] = "--no-profile";
	argv[n++] = "--serial";
	argv[n++] = serial_arg;
	argv[n++] = "--stats-json";
	argv[n++] = stats;
	uint64_t t0 = vmm_now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 2);
		if (in >= 0)
			dup2(in, 0);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	free(argv);
	if (pid < 0)
		return -errno;
	int st = 0;
	uint64_t deadline = t0 + (uint64_t)o->perf_timeout_s * 1000000000ull;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (vmm_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			run->timed_out = true;
			break;
		}
		usleep(2000);
	}
	run->wall_ms = (double)(vmm_now_ns() - t0) / 1e6;
	run->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	snprintf(run->serial_path, sizeof(run->serial_path), "%s", serial);
	snprintf(run->stats_path, sizeof(run->stats_path), "%s", stats);
	snprintf(run->stderr_path, sizeof(run->stderr_path), "%s", err);
	return 0;
}

/* mkdir -p: create (path) and its missing parents. 0 or -errno. */
static int mkdir_p(const char *path)
{
	char buf[700];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool mode_listed(const char *modes, const char *name)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", modes);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, name) || !strcmp(t, "all"))
			return true;
	return false;
}

int cli_perf(int argc, char **argv)
{
	struct run_config rc;
	cli_config_parse(&rc, CLI_PERF, argc, argv); /* validates, exits 2 on error */
	cli_config_check(&rc);
	const struct run_config *o = &rc;
	struct host_caps caps;
	sel_host_probe(&caps);
	char *demo = NULL;
	if (!rc.load.kernel) {
		demo = cli_pick_demo(&rc, &caps);
		if (!demo)
			perf_fail("no kernel given and the demo guest was not found", NULL);
		rc.load.kernel = demo;
		rc.pass_argv[rc.pass_argc++] = "--kernel";
		rc.pass_argv[rc.pass_argc++] = demo;
	}
	struct guest_desc g;
	if (sel_guest_probe(&rc.load, &g))
		return 2;
	char dir[700];
	snprintf(dir, sizeof(dir), "%s/runs", o->perf_out);
	if (mkdir_p(dir))
		perf_fail("cannot create the output directory", o->perf_out);

	struct report rep;
	report_init(&rep, &caps, &g, rc.load.kernel, rc.load.cmdline, o->perf_runs);
	struct sel_avail avail[SEL_MAX_ENGINES];
	unsigned nav = sel_gather(&caps, &g, avail, SEL_MAX_ENGINES);
	struct sel_calib calib;
	bool calibrated = sel_calibrate(&caps, &calib, false) == 0;
	/* the policy's choice, as `triplex run` would make it now ... */
	struct sel_profile prof;
	cli_build_profile(&rc, &caps, &g, &prof);
	struct sel_input in = { .caps = &caps, .calib = calibrated ? &calib : NULL, .guest = &g,
				.profile = &prof, .avail = avail, .nr_avail = nav, .mode = "auto" };
	report_choice(&rep, &in, "choice");
	/* ... and from the model alone, with no measured profile */
	struct sel_profile model = prof;
	model.nr_measured = 0;
	in.profile = &model;
	report_choice(&rep, &in, "choice_model_only");

	for (unsigned i = 0; i < nav; i++) {
		if (!mode_listed(o->perf_modes, avail[i].engine))
			continue;
		struct report_engine *re = report_add_engine(&rep, avail[i].engine);
		if (!re)
			break;
		if (!avail[i].ok) {
			report_skip(re, avail[i].why);
			fprintf(stderr, "perf: %s: skipped: %s\n", avail[i].engine, avail[i].why);
			continue;
		}
		for (unsigned k = 0; k < o->perf_runs; k++) {
			struct report_run *run = report_add_run(re);
			if (!run || run_once(o, avail[i].engine, k, run))
				break;
			report_collect_run(re, run);
			fprintf(stderr, "perf: %s run %u/%u: %.1f ms, exit status %d%s\n",
				avail[i].engine, k + 1, o->perf_runs, run->wall_ms, run->status,
				run->timed_out ? " (timed out)" : "");
		}
	}
	/* auto: what a first launch of this image does, switches included */
	if (mode_listed(o->perf_modes, "auto")) {
		struct report_engine *re = report_add_engine(&rep, "auto");
		for (unsigned k = 0; re && k < o->perf_runs; k++) {
			struct report_run *run = report_add_run(re);
			if (!run || run_once(o, "auto", k, run))
				break;
			report_collect_run(re, run);
			fprintf(stderr, "perf: auto (no profile) run %u/%u: %.1f ms, exit status %d%s\n",
				k + 1, o->perf_runs, run->wall_ms, run->status,
				run->timed_out ? " (timed out)" : "");
		}
	}
	report_finish(&rep);
	int r = report_write(&rep, o->perf_out);
	/* the measured medians become this image's profile on this host */
	struct sel_profile store = { 0 };
	report_measured(&rep, &store);
	if (store.nr_measured)
		sel_profile_store_measured(caps.fingerprint, g.info.image_hash, g.info.name, &store);
	report_print_summary(&rep, stderr, o->perf_out);
	report_fini(&rep);
	free(demo);
	cli_config_free(&rc);
	return r ? VM_EXIT_HOST : 0;
}

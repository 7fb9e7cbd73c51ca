/* cli_main.c: `triplex` entry point: subcommand dispatch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cli/cli.h"
#include "vmm/core/chardev.h"

/* SIGINT, SIGTERM or SIGHUP before the guest runs (a long load, the
 * calibration) restores the terminal and exits 128+N, as a stop during the
 * run does; vm_run() installs its own handlers for the run itself. */
static void early_signal(int sig)
{
	chardev_restore_terminals(); /* async-signal-safe */
	_exit(128 + sig);
}

static void cli_signals_early(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(sigs); i++) {
		struct sigaction sa = { .sa_handler = early_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	cli_signals_early();
	if (argc < 2) {
		cli_usage(stderr, 0);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cli_run(argc - 2, argv + 2);
	if (!strcmp(cmd, "perf"))
		return cli_perf(argc - 2, argv + 2);
	if (!strcmp(cmd, "probe"))
		return cli_probe(argc - 2, argv + 2);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("triplex %s (%s)\n", TRIPLEX_VERSION, TRIPLEX_GITREV);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		cli_usage(stdout, 0);
		return 0;
	}
	if (cmd[0] == '-')
		fprintf(stderr, "triplex: '%s' is an option: give the command first (e.g. triplex "
				"run %s ...; see triplex --help)\n", cmd, cmd);
	else
		fprintf(stderr, "triplex: unknown command '%s' (commands: run, perf, probe; see "
				"triplex --help)\n", cmd);
	return 2;
}

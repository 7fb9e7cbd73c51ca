/* cli_help.c: `triplex --help` and `triplex CMD --help`, generated from the
 * option table (cli_options.c), so every flag a subcommand accepts is in its
 * help. */
#include <stdio.h>
#include <string.h>

#include "vmm/cli/cli.h"

static const struct {
	unsigned cmd;
	const char *name, *usage, *what;
} cmds[] = {
	{ CLI_RUN, "run", "triplex run [CONFIG.json] [options]",
	  "boot a guest (no kernel given: the demo guest)" },
	{ CLI_PERF, "perf", "triplex perf [CONFIG.json] [run options] [perf options]",
	  "run the guest under every engine that can run it; write report.{txt,json,html}" },
	{ CLI_PROBE, "probe", "triplex probe [options]",
	  "what this host can run, and why (with --guest: what a guest needs)" },
};

/* The rows accepted by every command in (want) and by none in (not). */
static void option_lines(FILE *f, unsigned want, unsigned not)
{
	for (unsigned i = 0; i < cli_nr_opts; i++) {
		const struct cli_opt *o = &cli_opts[i];
		if ((o->cmds & want) != want || (o->cmds & not))
			continue;
		char left[64], sh[8] = "    ";
		if (o->short_name)
			snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
		snprintf(left, sizeof(left), "%s--%s%s%s", sh, o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-24s %s\n", left, o->help);
	}
}

static void exit_status(FILE *f)
{
	fprintf(f,
		"\nexit status: the guest's isa-debug-exit status ((v << 1) | 1); 0 when the guest\n"
		"powers off or resets; 2 bad usage, config or image; 4 the guest stopped\n"
		"abnormally (triple fault); 6 host failure; 8 the requested mode cannot run\n"
		"here; 10 the guest halted with interrupts disabled (nothing can wake it);\n"
		"128+N stopped by signal N.\n");
}

void cli_usage(FILE *f, unsigned cmd)
{
	if (!cmd) {
		fprintf(f, "usage: triplex COMMAND [options]   (triplex COMMAND --help: its options)\n\n");
		for (unsigned i = 0; i < VMM_ARRAY_SIZE(cmds); i++)
			fprintf(f, "  %-6s %s\n", cmds[i].name, cmds[i].what);
		fprintf(f, "\n  triplex --version | --help\n\nrun options (docs/config.md is the "
			   "reference):\n");
		option_lines(f, CLI_RUN, 0);
		fprintf(f, "\nQEMU's -kernel, -initrd, -append, -m, -smp, -serial, -nographic and "
			   "-no-reboot\nare accepted as they are.\n");
		exit_status(f);
		return;
	}
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(cmds); i++) {
		if (cmds[i].cmd != cmd)
			continue;
		fprintf(f, "usage: %s\n%s\n", cmds[i].usage, cmds[i].what);
	}
	if (cmd == CLI_PERF) {
		fprintf(f, "\nperf options:\n");
		option_lines(f, CLI_PERF, CLI_RUN);
		fprintf(f, "\nrun options, passed on to every run (--mode is --modes here):\n");
		option_lines(f, CLI_RUN | CLI_PERF, 0);
		return;
	}
	fprintf(f, "\noptions%s:\n", cmd == CLI_RUN ? " (override the config file; docs/config.md)" : "");
	option_lines(f, cmd, 0);
	if (cmd == CLI_RUN) {
		fprintf(f, "\nQEMU's -kernel, -initrd, -append, -m, -smp, -serial, -nographic and "
			   "-no-reboot\nare accepted as they are.\n");
		exit_status(f);
	}
}

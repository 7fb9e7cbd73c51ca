/* cli_main.c: `triplex` entry point: subcommand dispatch and help. */
#include <stdio.h>
#include <string.h>

#include "vmm/cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: triplex run [CONFIG.json] [options]   boot a guest (no arguments: the demo guest)\n"
		"       triplex perf [CONFIG.json] [run options] [--modes auto,bt,hw,pv] [--runs N]\n"
		"                    [--out DIR] [--timeout S]\n"
		"                                            run the guest under every engine, report\n"
		"       triplex probe [--json] [--guest KERNEL] [--refresh]\n"
		"                                            what this host can run, and why\n"
		"       triplex --version | --help\n"
		"\n"
		"run options (override the config file; docs/config.md is the reference):\n"
		"  --kernel FILE          guest kernel (Multiboot, ELF64, bzImage, or flat)\n"
		"  --initrd FILE          Linux initrd; Multiboot modules as 'file args,file args'\n"
		"  --append STRING        kernel command line\n"
		"  --format FMT           auto|multiboot|elf64|bzimage|flat (default auto)\n"
		"  --load-addr ADDR       flat images: load address\n"
		"  --entry ADDR           flat images: entry point (default: load address)\n"
		"  --entry-bits 16|32     flat images: real or protected mode entry (default 32)\n"
		"  --mem SIZE             guest RAM, e.g. 128M, 1G (default 128M)\n"
		"  --smp N                vCPUs (default 1)\n"
		"  --mode MODE            auto|bt|hw|pv (default auto)\n"
		"  --serial SPEC          COM1 back end: stdio|file:PATH|none (default stdio)\n"
		"  --debugcon SPEC        port 0xe9 back end: stdio|file:PATH|none (default none)\n"
		"  --stats                print the engine's counters when the guest stops\n"
		"  --stats-json FILE      write the run's figures and counters as JSON\n"
		"  --explain              print the engine choice's whole cost table\n"
		"  --bt-interp            bt: run the whole guest on the reference interpreter\n"
		"  --switch ENGINE@MS     move the running guest to ENGINE after MS ms (pv)\n"
		"  --no-adapt             auto mode: keep the launch engine for the whole run\n"
		"  --no-profile           choose as on a first run (ignore triplex perf's profile)\n"
		"  --workload CLASS       what the guest does, for the choice: compute, kernel,\n"
		"                         io, syscall, pagefault, mixed\n"
		"  --log MODULES          debug output for modules (comma-separated; 'all')\n"
		"  -q, --quiet            only errors on stderr\n"
		"\n"
		"exit status: the guest's isa-debug-exit status ((v << 1) | 1); 0 when the guest\n"
		"powers off or resets; 2 bad usage, config or image; 4 the guest stopped\n"
		"abnormally (triple fault); 6 host failure; 8 the requested mode cannot run\n"
		"here; 10 the guest halted with interrupts disabled (nothing can wake it).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
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
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "triplex: unknown command '%s' (commands: run, perf, probe; see triplex --help)\n", cmd);
	return 2;
}

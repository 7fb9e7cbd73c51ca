/* tests/fuzz/fuzz_config.c: the configuration reader and the option parser
 * (vmm/cli/cli_config.c, cli_options.c, docs/config.md): a hostile JSON
 * config file plus hostile flags (Triplex's and QEMU's spellings), as
 * `triplex run|perf|probe CONFIG FLAGS...` gets them. Bad input must end in one error and exit(2), --help and
 * --version in exit(0) (returned here through -Wl,--wrap=exit);
 * anything else (a crash, a sanitizer report) is the bug. Input: the JSON
 * text, a 0xff byte, [command 0-2], then the flags separated by NUL bytes
 * (at most 24). */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "vmm/cli/cli.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_init();
	const uint8_t *sep = memchr(d, 0xff, n);
	size_t jlen = sep ? (size_t)(sep - d) : n;
	static char args[4096];
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)fuzz_file(0, d, jlen);
	static const enum cli_cmd cmds[] = { CLI_RUN, CLI_PERF, CLI_PROBE };
	enum cli_cmd cmd = CLI_RUN;
	if (sep && sep + 1 < d + n) {
		cmd = cmds[sep[1] % 3];
		sep++;
	}
	if (sep) {
		size_t alen = n - (size_t)(sep - d) - 1;
		if (alen > sizeof(args) - 1)
			alen = sizeof(args) - 1;
		memcpy(args, sep + 1, alen);
		args[alen] = 0;
		for (char *a = args; a < args + alen && argc < MAX_ARGS + 1; a += strlen(a) + 1)
			argv[argc++] = a;
	}
	argv[argc] = NULL;
	static struct run_config rc;
	fuzz_exit_armed = 1;
	if (setjmp(fuzz_exit_jmp) == 0) {
		/* (not cli_config_check(): it creates the files the run would write) */
		cli_config_parse(&rc, cmd, argc, argv);
		fuzz_exit_armed = 0;
		cli_config_free(&rc);
	}
	fuzz_exit_armed = 0;
	vmm_log_mask = 0; /* --log= may have turned debug output on */
	return 0;
}

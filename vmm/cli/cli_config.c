/* cli_config.c: the option parser: defaults, then a JSON file (jansson),
 * then command-line flags (getopt_long), both driven by the option table
 * (cli_options.c) so a field and its flag share one validator. QEMU's
 * spellings of the common options are accepted, and the others a QEMU user
 * types are answered with the Triplex flag. Every error is one line naming
 * the file or flag and the field and value, then exit status 2.
 * docs/config.md documents it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cli/cli.h"
#include "vmm/select/select.h"

#define DEFAULT_MEM (128 * MiB)

void cli_fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "triplex: %s\n", buf);
	exit(2);
}

static const char *keep(struct run_config *rc, char *s)
{
	if (!s)
		cli_fail("out of memory");
	if (rc->nr_owned == VMM_ARRAY_SIZE(rc->owned))
		cli_fail("internal error: too many config strings");
	rc->owned[rc->nr_owned++] = s;
	return s;
}

void cli_config_free(struct run_config *rc)
{
	json_decref(rc->workload);
	rc->workload = NULL;
	for (unsigned i = 0; i < rc->nr_owned; i++)
		free(rc->owned[i]);
	rc->nr_owned = 0;
	free(rc->pass_argv);
	rc->pass_argv = NULL;
}

const char *cli_config_relative(struct run_config *rc, const char *src, const char *v)
{
	if (v[0] == '/' || !rc->in_config)
		return v;
	char *copy = strdup(rc->config_path);
	if (!copy)
		cli_fail("out of memory");
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dirname(copy), v) < 0)
		path = NULL;
	free(copy);
	return keep(rc, path);
}

/* ---- the config file ---- */

static const char *json_types_text(unsigned t)
{
	if (t == CLI_JSON_BOOL)
		return "true or false";
	return t & CLI_JSON_NUMBER ? "a string or a number" : "a string";
}

static void read_field(struct run_config *rc, const char *file, const char *key, json_t *v)
{
	char src[300], num[32];
	snprintf(src, sizeof(src), "%s: field '%s'", file, key);
	if (!strcmp(key, "workload")) { /* an object: sel_profile_from_json checks it */
		struct sel_profile prof;
		char why[256];
		if (sel_profile_from_json(v, &prof, why, sizeof(why)))
			cli_fail("%s: %s", file, why);
		rc->workload = json_incref(v);
		return;
	}
	const struct cli_opt *o = cli_opt_by_json(key);
	if (!o || !(o->cmds & rc->cmd))
		cli_fail("%s: unknown field '%s' (docs/config.md lists the fields)", file, key);
	if ((o->json_types & CLI_JSON_BOOL) && json_is_boolean(v)) {
		if (json_is_true(v))
			o->set(rc, src, NULL);
	} else if ((o->json_types & CLI_JSON_STRING) && json_is_string(v)) {
		o->set(rc, src, keep(rc, strdup(json_string_value(v))));
	} else if ((o->json_types & CLI_JSON_NUMBER) && json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		o->set(rc, src, keep(rc, strdup(num)));
	} else {
		cli_fail("%s: expected %s", src, json_types_text(o->json_types));
	}
}

static void read_config(struct run_config *rc, const char *file)
{
	json_error_t err;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		FILE *f = fopen(file, "rb");
		char magic[4] = "";
		if (!f)
			cli_fail("%s: cannot open the config file: %s", file, strerror(errno));
		size_t got = fread(magic, 1, 4, f);
		fclose(f);
		if (got == 4 && !memcmp(magic, "\x7f" "ELF", 4))
			cli_fail("%s: a kernel image, not a JSON config file: use --kernel %s", file,
				 file);
		if (err.line < 0)
			cli_fail("%s: %s", file, err.text);
		cli_fail("%s:%d:%d: %s", file, err.line, err.column, err.text);
	}
	if (!json_is_object(root))
		cli_fail("%s: expected a JSON object at the top level", file);
	rc->config_path = file;
	rc->in_config = true;
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (json_is_null(v) || !strcmp(key, "comment") || !strcmp(key, "name"))
			continue; /* free text for people and reports */
		read_field(rc, file, key, v);
	}
	rc->in_config = false;
	json_decref(root);
}

/* ---- QEMU's spellings ---- */

/* What a QEMU user types: (flag) is the Triplex option it means ("--name";
 * its value follows as in QEMU), "" an option Triplex always behaves as, or
 * NULL with (answer) saying what to use instead. */
static const struct {
	const char *qemu, *flag, *answer;
} qemu_words[] = {
	{ "-kernel", "--kernel", NULL },
	{ "-initrd", "--initrd", NULL },
	{ "-append", "--append", NULL },
	{ "-smp", "--smp", NULL },
	{ "-serial", "--serial", NULL },
	{ "-monitor", "--monitor", NULL },
	{ "-qmp", "--qmp", NULL },
	{ "-gdb", "--gdb", NULL },
	{ "-nographic", "", NULL },  /* no display; COM1 on stdio is the default */
	{ "-no-reboot", "", NULL },  /* a reset always stops the guest */
	{ "-enable-kvm", NULL, "use --mode hw (KVM), or --mode auto to let Triplex choose" },
	{ "-accel", NULL, "use --mode hw (KVM) or --mode bt (binary translation)" },
	{ "-machine", NULL, "the machine is always a PC (docs/platform.md); there is no -machine" },
	{ "-M", NULL, "the machine is always a PC (docs/platform.md); there is no -M" },
	{ "-cpu", NULL, "each engine has one CPU model (docs/bt.md); there is no -cpu" },
	{ "-device", NULL, "the PC's devices are fixed (docs/platform.md): isa-debug-exit is "
			   "always at port 0xf4, COM1 at 0x3f8" },
	{ "-hda", NULL, "Triplex has no disks yet: boot with --kernel and --initrd" },
	{ "-drive", NULL, "Triplex has no disks yet: boot with --kernel and --initrd" },
	{ "-bios", NULL, "Triplex boots kernels directly (--kernel): there is no BIOS" },
};

static const struct cli_opt *find_short(unsigned cmd, char c)
{
	for (unsigned i = 0; c && i < cli_nr_opts; i++)
		if (cli_opts[i].short_name == c && (cli_opts[i].cmds & cmd))
			return &cli_opts[i];
	return NULL;
}

static const struct cli_opt *find_long(unsigned cmd, const char *name, size_t n)
{
	for (unsigned i = 0; i < cli_nr_opts; i++)
		if (strlen(cli_opts[i].name) == n && !strncmp(cli_opts[i].name, name, n) &&
		    (cli_opts[i].cmds & cmd))
			return &cli_opts[i];
	return NULL;
}

static const char *cmd_name(unsigned cmd)
{
	return cmd == CLI_PERF ? "perf" : cmd == CLI_PROBE ? "probe" : "run";
}

/* Rewrite QEMU's spellings in (in) into (out) (same length or shorter);
 * (typed[i]) keeps what the user wrote for out[i], for messages. Refuses
 * single-dash words that are neither QEMU's nor our short options. */
static int translate_qemu(unsigned cmd, int n, char **in, char **out, const char **typed)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		char *a = in[i];
		typed[m] = a;
		out[m++] = a;
		if (!strcmp(a, "--")) {
			for (i++; i < n; i++) {
				typed[m] = in[i];
				out[m++] = in[i];
			}
			break;
		}
		if (a[0] != '-' || !a[1])
			continue;
		const struct cli_opt *o = NULL;
		if (a[1] == '-') { /* --name or --name=value: the value follows? */
			size_t len = strcspn(a + 2, "=");
			o = find_long(cmd, a + 2, len);
			if (o && o->arg && !a[2 + len] && i + 1 < n) {
				typed[m] = in[i + 1];
				out[m++] = in[++i];
			}
			continue;
		}
		unsigned q;
		for (q = 0; q < VMM_ARRAY_SIZE(qemu_words); q++)
			if (!strcmp(a, qemu_words[q].qemu))
				break;
		if (q < VMM_ARRAY_SIZE(qemu_words)) {
			if (!qemu_words[q].flag)
				cli_fail("%s is QEMU's option; with Triplex %s", a, qemu_words[q].answer);
			if (!qemu_words[q].flag[0]) {
				m--; /* what Triplex always does */
				continue;
			}
			o = find_long(cmd, qemu_words[q].flag + 2, strlen(qemu_words[q].flag + 2));
			if (!o)
				cli_fail("%s: not an option of triplex %s", a, cmd_name(cmd));
			out[m - 1] = (char *)qemu_words[q].flag; /* getopt does not write it */
			if (i + 1 < n) {
				typed[m] = in[i + 1];
				out[m++] = in[++i];
			}
			continue;
		}
		/* short options, possibly clustered (-qm 64M, -m64M) */
		for (const char *c = a + 1; *c; c++) {
			o = find_short(cmd, *c);
			if (!o)
				cli_fail("unknown option '%s' (options start with --; see triplex %s "
					 "--help)", a, cmd_name(cmd));
			if (o->arg) {
				if (!c[1] && i + 1 < n) {
					typed[m] = in[i + 1];
					out[m++] = in[++i];
				}
				break;
			}
		}
	}
	return m;
}

/* ---- the command line ---- */

struct parsed {
	const struct cli_opt *o; /* NULL: a positional argument */
	const char *v;
	const char *src;         /* the option as typed: "--mem", "-m", "-kernel" */
};

static void VMM_NORETURN unknown_long(unsigned cmd, const char *tok)
{
	size_t n = strcspn(tok + 2, "=");
	char cands[160] = "";
	unsigned hits = 0;
	for (unsigned i = 0; i < cli_nr_opts; i++)
		if ((cli_opts[i].cmds & cmd) && !strncmp(cli_opts[i].name, tok + 2, n) &&
		    strlen(cands) + strlen(cli_opts[i].name) + 6 < sizeof(cands)) {
			snprintf(cands + strlen(cands), sizeof(cands) - strlen(cands), "%s--%s",
				 hits++ ? ", " : "", cli_opts[i].name);
		}
	if (hits > 1)
		cli_fail("ambiguous option '%.*s' (%s)", (int)n + 2, tok, cands);
	if (find_long(CLI_RUN | CLI_PERF | CLI_PROBE, tok + 2, n))
		cli_fail("option '%.*s' is not one of triplex %s's (see triplex %s --help)",
			 (int)n + 2, tok, cmd_name(cmd), cmd_name(cmd));
	cli_fail("unknown option '%.*s' (see triplex %s --help)", (int)n + 2, tok, cmd_name(cmd));
}

/* How messages name option (o) as the user typed it (tok): "--mem", "-m",
 * or QEMU's "-kernel". */
static const char *src_name(const struct cli_opt *o, const char *tok, bool is_short)
{
	static char names[2][64][40];
	unsigned i = (unsigned)(o - cli_opts) % 64;
	if (is_short) {
		snprintf(names[0][i], sizeof(names[0][i]), "-%c", o->short_name);
		return names[0][i];
	}
	if (tok[0] == '-' && tok[1] != '-')
		return tok; /* a QEMU word */
	snprintf(names[1][i], sizeof(names[1][i]), "--%s", o->name);
	return names[1][i];
}

/* Run getopt_long over (a)[1..n) in order (no permutation); fills (out)
 * with the options and positional arguments, and (perf_own) with which
 * tokens belong to perf's own options (not passed on to runs). Unknown
 * options and missing values are reported here, before any file is read. */
static unsigned scan(unsigned cmd, int n, char **a, const char **typed, struct parsed *out,
		     bool *perf_own)
{
	struct option lopts[64];
	char shorts[32] = "-:";
	unsigned nl = 0;
	for (unsigned i = 0; i < cli_nr_opts && nl + 1 < VMM_ARRAY_SIZE(lopts); i++) {
		const struct cli_opt *o = &cli_opts[i];
		if (!(o->cmds & cmd))
			continue;
		lopts[nl++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					       NULL, 256 + (int)i };
		size_t l = strlen(shorts);
		if (o->short_name && l + 3 < sizeof(shorts)) {
			shorts[l] = o->short_name;
			shorts[l + 1] = o->arg ? ':' : 0;
			shorts[l + 2] = 0;
		}
	}
	lopts[nl] = (struct option){ 0 };
	opterr = 0;
	optind = 0; /* a full reset of GNU getopt */
	unsigned np = 0;
	for (;;) {
		int at = optind ? optind : 1; /* the token being parsed */
		int c = getopt_long(n, a, shorts, lopts, NULL);
		if (c == -1)
			break;
		const char *tok = typed[at];
		if (c == '?' || c == ':') {
			const struct cli_opt *o = optopt >= 256 ? &cli_opts[optopt - 256]
								: find_short(cmd, (char)optopt);
			if (c == ':' && o)
				cli_fail("option %s needs a value", src_name(o, tok, optopt < 256));
			if (o && optopt >= 256)
				cli_fail("option --%s takes no value", o->name);
			if (optopt)
				cli_fail("unknown option '-%c' (see triplex %s --help)", optopt,
					 cmd_name(cmd));
			unknown_long(cmd, a[at]);
		}
		struct parsed *p = &out[np++];
		if (c == 1) {
			*p = (struct parsed){ NULL, optarg, optarg };
			continue;
		}
		p->o = c >= 256 ? &cli_opts[c - 256] : find_short(cmd, (char)c);
		p->v = p->o->arg ? optarg : NULL;
		p->src = src_name(p->o, tok, c < 256);
		if (perf_own && p->o->cmds == CLI_PERF)
			for (int k = at; k < optind; k++)
				perf_own[k] = true;
	}
	return np;
}

static void defaults(struct run_config *rc, enum cli_cmd cmd)
{
	memset(rc, 0, sizeof(*rc));
	rc->cmd = cmd;
	rc->mem_size = DEFAULT_MEM;
	rc->smp = 1;
	rc->mode = "auto";
	rc->serial = "stdio";
	rc->load.flat_bits = 32;
	snprintf(rc->perf_modes, sizeof(rc->perf_modes), "auto,all");
	rc->perf_runs = 3;
	rc->perf_out = "perf-report";
	rc->perf_timeout_s = 300;
}

void cli_config_parse(struct run_config *rc, enum cli_cmd cmd, int argc, char **argv)
{
	defaults(rc, cmd);
	/* a[0] is getopt's program name; a[1..n) the (translated) arguments */
	char **a = calloc((size_t)argc + 2, sizeof(char *));
	const char **typed = calloc((size_t)argc + 2, sizeof(char *));
	bool *own = calloc((size_t)argc + 2, sizeof(bool));
	if (!a || !typed || !own)
		cli_fail("out of memory");
	a[0] = "triplex";
	typed[0] = "triplex";
	int n = 1 + translate_qemu(cmd, argc, argv, a + 1, typed + 1);
	/* one parsed option per argument, or per letter of bundled short
	 * options ("-qqq"): at most one per character */
	size_t cap = 1;
	for (int i = 1; i < n; i++)
		cap += strlen(a[i]) + 1;
	struct parsed *p = calloc(cap, sizeof(*p));
	if (!p)
		cli_fail("out of memory");
	unsigned np = scan(cmd, n, a, typed, p, own);
	for (unsigned i = 0; i < np; i++) /* --help and --version win over the rest */
		if (p[i].o && (!strcmp(p[i].o->name, "help") || !strcmp(p[i].o->name, "version")))
			p[i].o->set(rc, p[i].src, p[i].v);
	/* the flags' values are checked before the config file is read (a bad
	 * flag is the error even when the file is missing too), then applied
	 * after it */
	struct run_config scratch;
	defaults(&scratch, cmd);
	for (unsigned i = 0; i < np; i++)
		if (p[i].o)
			p[i].o->set(&scratch, p[i].src, p[i].v);
	cli_config_free(&scratch);
	if (rc->help) {
		cli_usage(stdout, cmd);
		exit(0);
	}
	if (rc->version) {
		printf("triplex %s (%s)\n", TRIPLEX_VERSION, TRIPLEX_GITREV);
		exit(0);
	}
	/* the config file first, so flags override it wherever they stand */
	for (unsigned i = 0; i < np; i++) {
		if (p[i].o)
			continue;
		if (cmd == CLI_PROBE)
			cli_fail("probe: unexpected argument '%s' (a kernel is --guest KERNEL)",
				 p[i].v);
		if (rc->config_path)
			cli_fail("unexpected argument '%s' (one config file only: %s)", p[i].v,
				 rc->config_path);
		read_config(rc, p[i].v);
	}
	for (unsigned i = 0; i < np; i++)
		if (p[i].o)
			p[i].o->set(rc, p[i].src, p[i].v);
	if (cmd == CLI_PERF) { /* the arguments every run gets */
		rc->pass_argv = calloc((size_t)n + 4, sizeof(char *));
		if (!rc->pass_argv)
			cli_fail("out of memory");
		for (int k = 1; k < n; k++)
			if (!own[k])
				rc->pass_argv[rc->pass_argc++] = a[k];
	}
	free(a);
	free(typed);
	free(p);
	free(own);
}
/* A file the run will write: can it be created? (chardev_open and the
 * stats writer open it again for real.) */
static void check_writable(const char *what, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		cli_fail("%s: cannot write '%s': %s", what, path, strerror(errno));
	(void)close(fd); /* nothing written */
}

void cli_config_check(const struct run_config *rc)
{
	if (rc->load.format == LOAD_FLAT && !rc->load.flat_addr)
		cli_fail("--format flat needs --load-addr (or \"load_addr\" in the config)");
	if (!strncmp(rc->serial, "file:", 5))
		check_writable("--serial", rc->serial + 5);
	if (rc->debugcon && !strncmp(rc->debugcon, "file:", 5))
		check_writable("--debugcon", rc->debugcon + 5);
	if (rc->stats_json)
		check_writable("--stats-json", rc->stats_json);
}

const char *cli_exe_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = 0;
			snprintf(dir, sizeof(dir), "%s", dirname(exe));
		}
	}
	return dir;
}

char *cli_find_guest(const char *name)
{
	const char *env = getenv("TRIPLEX_GUESTS");
	char cand[3][PATH_MAX];
	unsigned n = 0;
	if (env && *env)
		snprintf(cand[n++], PATH_MAX, "%s/%s", env, name);
	snprintf(cand[n++], PATH_MAX, "%s/../guests/%s", cli_exe_dir(), name);
	snprintf(cand[n++], PATH_MAX, "%s/../share/triplex/guests/%s", cli_exe_dir(), name);
	for (unsigned i = 0; i < n; i++)
		if (access(cand[i], R_OK) == 0)
			return realpath(cand[i], NULL);
	return NULL;
}

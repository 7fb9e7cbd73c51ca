/* mon_cmd.c: the monitor's command table: lookup and dispatch of a command
 * line, `help` built from the tables of every group (mon_info.c, mon_mem.c,
 * mon_ctl.c), output buffers and value parsing shared by the commands. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/mon_internal.h"

void mon_printf(struct mon_buf *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (o->len + (size_t)n + 1 > o->cap) {
		size_t cap = VMM_MAX(o->cap * 2, o->len + (size_t)n + 256);
		char *p = realloc(o->p, cap);
		if (!p)
			return; /* out of memory: the output is cut short */
		o->p = p;
		o->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

void mon_buf_free(struct mon_buf *o)
{
	free(o->p);
	memset(o, 0, sizeof(*o));
}

static int cmd_help(struct mon *m, const char *args, struct mon_buf *out);

static const struct mon_cmd help_cmds[] = {
	{ "help", "[COMMAND]", "list the commands (or those starting with COMMAND)", cmd_help },
	{ NULL, NULL, NULL, NULL },
};

static int cmd_help(struct mon *m, const char *args, struct mon_buf *out)
{
	const struct mon_cmd *const all[] = { help_cmds, mon_info_cmds, mon_mem_cmds,
					      mon_ctl_cmds };
	size_t alen = strlen(args);
	unsigned shown = 0;
	for (unsigned g = 0; g < VMM_ARRAY_SIZE(all); g++)
		for (const struct mon_cmd *c = all[g]; c->name; c++) {
			if (alen && strncmp(c->name, args, alen))
				continue;
			char head[64];
			snprintf(head, sizeof(head), "%s%s%s", c->name,
				 c->args[0] && c->args[0] != '/' ? " " : "", c->args);
			mon_printf(out, "%-28s %s\n", head, c->help);
			shown++;
		}
	if (!shown) {
		mon_printf(out, "help: no command starts with '%s'\n", args);
		return -ENOENT;
	}
	return 0;
}

/* The longest command name that (line) starts with, followed by a space,
 * '/' or its end. */
static const struct mon_cmd *lookup(const char *line, size_t *used)
{
	const struct mon_cmd *best = NULL;
	size_t best_len = 0;
	const struct mon_cmd *const all[] = { help_cmds, mon_info_cmds, mon_mem_cmds,
					      mon_ctl_cmds };
	for (unsigned g = 0; g < VMM_ARRAY_SIZE(all); g++)
		for (const struct mon_cmd *c = all[g]; c->name; c++) {
			size_t n = strlen(c->name);
			if (strncmp(line, c->name, n) || n <= best_len)
				continue;
			if (line[n] && line[n] != ' ' && line[n] != '\t' && line[n] != '/')
				continue;
			best = c;
			best_len = n;
		}
	*used = best_len;
	return best;
}

int mon_exec(struct mon *m, const char *line, struct mon_buf *out)
{
	char buf[512];
	while (*line == ' ' || *line == '\t')
		line++;
	snprintf(buf, sizeof(buf), "%s", line);
	size_t n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
	if (!n)
		return 0;
	/* collapse runs of blanks so "info   registers" finds its command */
	char norm[512];
	size_t k = 0;
	for (size_t i = 0; buf[i] && k + 1 < sizeof(norm); i++) {
		bool blank = buf[i] == ' ' || buf[i] == '\t';
		if (blank && k && norm[k - 1] == ' ')
			continue;
		norm[k++] = blank ? ' ' : buf[i];
	}
	norm[k] = 0;
	size_t used;
	const struct mon_cmd *c = lookup(norm, &used);
	if (!c) {
		char word[64];
		snprintf(word, sizeof(word), "%.*s", (int)strcspn(norm, " /"), norm);
		if (!strcmp(word, "info"))
			mon_printf(out, "info: unknown or missing item '%s' (help info lists them)\n",
				   norm[4] ? norm + 5 : "");
		else
			mon_printf(out, "unknown command: '%s' (help lists the commands)\n", word);
		return -ENOENT;
	}
	const char *args = norm + used;
	while (*args == ' ')
		args++;
	return c->fn(m, args, out);
}

/* Registers by name for $NAME values. */
static const struct {
	const char *name;
	int gpr;   /* -1: rip */
} regs[] = {
	{ "rax", X86_RAX }, { "rcx", X86_RCX }, { "rdx", X86_RDX }, { "rbx", X86_RBX },
	{ "rsp", X86_RSP }, { "rbp", X86_RBP }, { "rsi", X86_RSI }, { "rdi", X86_RDI },
	{ "eax", X86_RAX }, { "ecx", X86_RCX }, { "edx", X86_RDX }, { "ebx", X86_RBX },
	{ "esp", X86_RSP }, { "ebp", X86_RBP }, { "esi", X86_RSI }, { "edi", X86_RDI },
	{ "rip", -1 },	    { "eip", -1 },	{ "pc", -1 },
};

int mon_parse_value(struct mon *m, const char *s, uint64_t *v, struct mon_buf *out)
{
	if (!*s) {
		mon_printf(out, "missing address or value\n");
		return -EINVAL;
	}
	if (s[0] == '$') {
		for (unsigned i = 0; i < VMM_ARRAY_SIZE(regs); i++) {
			if (strcasecmp(s + 1, regs[i].name))
				continue;
			struct x86_state st;
			int r = vm_regs_get(m->vm, 0, &st);
			if (r) {
				mon_printf(out, "cannot read the registers: %s\n", strerror(-r));
				return r;
			}
			*v = regs[i].gpr < 0 ? st.rip : st.gpr[regs[i].gpr];
			if (strcasecmp(s + 1, "pc") == 0 || strcasecmp(s + 1, "eip") == 0 ||
			    strcasecmp(s + 1, "rip") == 0)
				*v += st.seg[X86_CS].base; /* QEMU's $pc is linear */
			if (s[1] == 'e' || s[1] == 'E')
				*v &= 0xffffffffu;
			return 0;
		}
		mon_printf(out, "unknown register '%s'\n", s);
		return -EINVAL;
	}
	if (vmm_parse_u64(s, v)) {
		mon_printf(out, "'%s' is not a number or $register (e.g. 0x100000, $eip)\n", s);
		return -EINVAL;
	}
	return 0;
}

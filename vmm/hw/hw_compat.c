/* hw_compat.c: the hw engine's compatibility probe. KVMs differ: VT-x/AMD-V
 * run everything, a software KVM such as PVM emulates ring 0 and lacks some
 * modes. Rather than assume, run tiny guests (hw_compat_guests.S) once per
 * host, cache the results under $XDG_CACHE_HOME/triplex/, and refuse a guest
 * whose format or entry mode needs a feature that failed; a need only the
 * guest scan found is a hint (ENGINE_CHECK_HINT), never a refusal. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/core/guest.h"
#include "vmm/core/host.h"
#include "vmm/hw/hw_internal.h"

#define HW_PROBE_BASE 0x1000
#define HW_PROBE_PORT 0x99
#define HW_PROBE_TIMEOUT_NS (3 * 1000000000ull)
#define HW_COMPAT_CACHE_VERSION 3

extern const uint8_t hw_probe_blob[], hw_probe_blob_end[];

const char *const hw_compat_names[HW_COMPAT_NR] = {
	[HW_COMPAT_REAL] = "real-mode",
	[HW_COMPAT_PROT32] = "protected-mode-32",
	[HW_COMPAT_IRET32] = "interrupts-32",
	[HW_COMPAT_USER_INT32] = "user-int-32",
	[HW_COMPAT_PAGING32] = "paging-32",
	[HW_COMPAT_PAE32] = "pae-32",
	[HW_COMPAT_LONG_SWITCH] = "long-mode-switch",
	[HW_COMPAT_USER_INT64] = "user-int-64",
	[HW_COMPAT_SYSCALL64] = "syscall-64",
	[HW_COMPAT_USER_EXC64] = "user-exception-64",
};

struct probe_ctx {
	struct vm *vm;
	uint32_t result;
	bool got;
};

static int probe_port(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct probe_ctx *c = dev;
	if (!is_write) {
		memset(data, 0xff, size);
		return 0;
	}
	uint32_t v = 0;
	memcpy(&v, data, VMM_MIN(size, 4u));
	if (!c->got) {
		c->result = v;
		c->got = true;
		vm_request_stop(c->vm, VM_STOP_QUIT, 0, NULL);
	}
	return 0;
}

static void entry_state(enum hw_compat_test t, struct x86_state *s)
{
	uint32_t entry;
	memcpy(&entry, hw_probe_blob + 4 * t, 4);
	x86_state_reset(s);
	s->rip = entry;
	if (t == HW_COMPAT_REAL) {
		for (unsigned i = 0; i < X86_NR_SREGS; i++)
			x86_seg_real(&s->seg[i], 0, i == X86_CS);
		return;
	}
	s->cr0 = X86_CR0_PE | X86_CR0_ET;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_flat(&s->seg[i], i == X86_CS ? 0x08 : 0x18, i == X86_CS, false);
	s->gpr[X86_RSP] = 0x80000;
}

static void describe(uint32_t v, bool got, const struct vcpu_exit *ex, char *d, size_t len)
{
	if (!got && ex->reason == VCPU_EXIT_SHUTDOWN)
		snprintf(d, len, "triple fault");
	else if (!got && ex->reason == VCPU_EXIT_ERROR)
		snprintf(d, len, "%s", ex->msg);
	else if (!got)
		snprintf(d, len, "no result within %llu s", HW_PROBE_TIMEOUT_NS / 1000000000ull);
	else if ((v & 0xff00) == 0xe000)
		snprintf(d, len, "guest took %s (vector %u)",
			 x86_vector_name(v & 0xff) ? x86_vector_name(v & 0xff) : "an exception",
			 v & 0xff);
	else if ((v & 0xfff0) == 0x6000)
		snprintf(d, len, "handler entered at CPL %u instead of 0", v & 3);
	else
		snprintf(d, len, "unexpected result %#x", v);
}

int hw_compat_run(enum hw_compat_test t, bool *ok, char *detail, size_t len)
{
	struct vm_config cfg = { .mem_size = MEM_MIN_SIZE, .nr_vcpus = 1 };
	struct probe_ctx c = { 0 };
	*ok = false;
	c.vm = vm_create(&cfg);
	if (!c.vm)
		return -ENOMEM;
	struct x86_state s;
	entry_state(t, &s);
	int r = io_register(&c.vm->pio, HW_PROBE_PORT, 4, "hw-probe", probe_port, &c);
	if (!r)
		r = mem_write(&c.vm->mem, HW_PROBE_BASE, hw_probe_blob,
			      (uint64_t)(hw_probe_blob_end - hw_probe_blob));
	if (!r)
		r = vm_engine_init(c.vm, &hw_engine_ops, &s);
	if (r) {
		vm_destroy(c.vm);
		return r;
	}
	struct vcpu_exit ex;
	bool timed_out;
	r = vm_run_here(c.vm, HW_PROBE_TIMEOUT_NS, &ex, &timed_out);
	if (r) {
		vm_destroy(c.vm);
		return r;
	}
	/* 0x600d: done; 0x6000: the int 0x80 or syscall handler ran at CPL 0 */
	*ok = c.got && (c.result == 0x600d || c.result == 0x6000);
	if (!*ok)
		describe(c.result, c.got, &ex, detail, len);
	else
		detail[0] = 0;
	vm_destroy(c.vm);
	return 0;
}

/* ---- the per-host cache ---- */

static bool cache_load(const struct host_caps *caps, struct hw_compat *out)
{
	char path[600];
	if (host_cache_path("hw-compat", caps->fingerprint, path, sizeof(path), false))
		return false;
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		return false;
	bool good = json_integer_value(json_object_get(j, "version")) == HW_COMPAT_CACHE_VERSION;
	json_t *tests = json_object_get(j, "tests");
	for (unsigned i = 0; good && i < HW_COMPAT_NR; i++) {
		json_t *t = json_object_get(tests, hw_compat_names[i]);
		if (!json_is_object(t)) {
			good = false;
			break;
		}
		out->ok[i] = json_is_true(json_object_get(t, "ok"));
		const char *d = json_string_value(json_object_get(t, "detail"));
		snprintf(out->detail[i], sizeof(out->detail[i]), "%s", d ? d : "");
	}
	json_decref(j);
	if (good)
		vmm_debug(hw, "compatibility probe: cached in %s", path);
	return good;
}

static void cache_store(const struct host_caps *caps, const struct hw_compat *c)
{
	char path[600];
	if (host_cache_path("hw-compat", caps->fingerprint, path, sizeof(path), true))
		return;
	json_t *tests = json_object();
	for (unsigned i = 0; i < HW_COMPAT_NR; i++)
		json_object_set_new(tests, hw_compat_names[i],
				    json_pack("{s:b, s:s}", "ok", c->ok[i], "detail", c->detail[i]));
	json_t *j = json_pack("{s:i, s:s, s:s, s:f, s:o}", "version", HW_COMPAT_CACHE_VERSION,
			      "fingerprint", caps->fingerprint, "kvm_module", caps->kvm_module,
			      "probe_ms", c->ms, "tests", tests);
	host_cache_store(path, j);
}

int hw_compat_get(const struct host_caps *caps, struct hw_compat *out, bool refresh)
{
	memset(out, 0, sizeof(*out));
	if (caps->kvm != HOST_KVM_OK)
		return -ENODEV;
	if (!refresh && cache_load(caps, out)) {
		out->done = out->cached = true;
		return 0;
	}
	uint64_t t0 = vmm_now_ns();
	for (unsigned i = 0; i < HW_COMPAT_NR; i++) {
		int r = hw_compat_run(i, &out->ok[i], out->detail[i], sizeof(out->detail[i]));
		if (r)
			return r;
		vmm_debug(hw, "compat %s: %s %s", hw_compat_names[i], out->ok[i] ? "ok" : "FAIL",
			  out->detail[i]);
	}
	out->ms = (double)(vmm_now_ns() - t0) / 1e6;
	out->done = true;
	cache_store(caps, out);
	return 0;
}

_Static_assert(HW_COMPAT_NR <= ENGINE_MAX_CHECKS, "the compatibility probe fits a host report");

int hw_host_report(const struct host_caps *caps, bool refresh, struct engine_host_report *r)
{
	struct hw_compat c;
	int err = hw_compat_get(caps, &c, refresh);
	if (err)
		return err;
	*r = (struct engine_host_report){ .key = "hw_compat", .title = "hw compatibility probe",
					  .cached = c.cached, .ms = c.ms, .n = HW_COMPAT_NR };
	for (unsigned i = 0; i < HW_COMPAT_NR; i++) {
		r->check[i].name = hw_compat_names[i];
		r->check[i].ok = c.ok[i];
		snprintf(r->check[i].detail, sizeof(r->check[i].detail), "%s", c.detail[i]);
	}
	return 0;
}

/* Which probe a guest need depends on. */
static const struct { enum guest_need need; enum hw_compat_test test[2]; } need_tests[] = {
	{ GUEST_NEEDS_REAL, { HW_COMPAT_REAL, HW_COMPAT_REAL } },
	{ GUEST_NEEDS_PROT32, { HW_COMPAT_PROT32, HW_COMPAT_PROT32 } },
	{ GUEST_NEEDS_IRET32, { HW_COMPAT_IRET32, HW_COMPAT_IRET32 } },
	{ GUEST_NEEDS_PAGING32, { HW_COMPAT_PAGING32, HW_COMPAT_PAE32 } },
	{ GUEST_NEEDS_LONG_SWITCH, { HW_COMPAT_LONG_SWITCH, HW_COMPAT_LONG_SWITCH } },
	{ GUEST_NEEDS_USER_INT32, { HW_COMPAT_USER_INT32, HW_COMPAT_USER_INT32 } },
	{ GUEST_NEEDS_USER_INT64, { HW_COMPAT_USER_INT64, HW_COMPAT_USER_INT64 } },
	{ GUEST_NEEDS_SYSCALL64, { HW_COMPAT_SYSCALL64, HW_COMPAT_SYSCALL64 } },
};

/* The first need of (g) within (mask) that a failed probe rules out, with
 * (why) saying so; -1 if none. */
static int failed_need(const struct host_caps *caps, const struct hw_compat *c,
		       const struct guest_desc *g, unsigned mask, char *why, size_t len)
{
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(need_tests); i++) {
		if (!(g->needs & mask & need_tests[i].need))
			continue;
		for (unsigned k = 0; k < 2; k++) {
			enum hw_compat_test t = need_tests[i].test[k];
			if (c->ok[t])
				continue;
			unsigned bit = (unsigned)__builtin_ctz(need_tests[i].need);
			snprintf(why, len,
				 "%s %s (%s), which this host's KVM%s%s%s cannot run: "
				 "compatibility probe '%s': %s",
				 (g->hints & need_tests[i].need) ? "hint from the scan: guest may need"
								  : "guest needs",
				 guest_need_name(need_tests[i].need), g->evidence[bit],
				 caps->kvm_module[0] ? " (" : "", caps->kvm_module,
				 caps->kvm_module[0] ? ")" : "", hw_compat_names[t], c->detail[t]);
			return (int)i;
		}
	}
	return -1;
}

int hw_check_guest(const struct host_caps *caps, const struct guest_desc *g, char *why,
		   size_t len)
{
	struct hw_compat c;
	int r = hw_compat_get(caps, &c, false);
	if (r) {
		snprintf(why, len, "the KVM compatibility probe could not run (%s)", strerror(-r));
		return r;
	}
	/* what the format and entry mode say refuses; the scan's guesses only hint */
	if (failed_need(caps, &c, g, ~g->hints, why, len) >= 0)
		return -ENOTSUP;
	if (failed_need(caps, &c, g, g->hints, why, len) >= 0)
		return ENGINE_CHECK_HINT;
	return 0;
}

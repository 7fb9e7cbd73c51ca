/* bt_fpu.c: x87, MMX and SSE/SSE2 for bt, run on the host FPU.
 *
 * The guest's FPU state is the FXSAVE image in c->fpu. The interpreter
 * executes an FP instruction by (1) the architectural checks (CR0.EM/TS/MP,
 * CR4.OSFXSR, a pending x87 exception -> #MF), (2) reading the memory
 * operand through the guest MMU into a host buffer (so #GP/#SS/#PF are
 * raised before any FPU state changes; destinations are checked for writing
 * first), (3) running a stub: FXRSTOR of the image, the guest flags and the
 * GPR operand loaded, a copy of the instruction with its memory operand
 * rewritten to [rdi] (the buffer) and its GPR operand to EAX, then FXSAVE,
 * FNINIT and the host's MXCSR, and (4) writing the buffer back through the
 * MMU. Stubs are generated once per distinct instruction encoding into a
 * small memfd mapped twice (writable / executable, never both).
 *
 * Faults inside a stub arrive as host signals (bt_fpu_stub_fault): SIGFPE
 * is an unmasked SSE exception (#XM, or #UD without CR4.OSXMMEXCPT),
 * SIGSEGV a misaligned 16-byte operand or reserved MXCSR bits (#GP(0));
 * the buffer keeps the guest's misalignment so the host checks alignment.
 * The handler keeps the FPU state of the fault (the MXCSR flags an
 * unmasked exception sets) and hands a sane one back to the host.
 *
 * x87 exceptions are deferred as on the hardware: an unmasked one sets
 * FSW.ES; the next waiting FP instruction raises #MF with CR0.NE=1. With
 * CR0.NE=0 (the legacy FERR#/IRQ 13 path) bt behaves as if IGNNE# were
 * asserted: no #MF and no IRQ 13, the instruction runs with the flags kept.
 *
 * The last-instruction pointers (FIP/FCS, FDP/FDS, FOP) are the guest's:
 * kept in the image by this file, not taken from the host (whose values
 * would be stub addresses, and which AMD CPUs do not save at all). */
#include <capstone/capstone.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "vmm/bt/bt_fpu.h"
#include "vmm/bt/bt_trans.h"

#define STUB_AREA (64 * 1024)
#define STUB_SLOTS 2048
#define STUB_MAX 96

#define FSW_ES 0x0080u
#define FSW_B 0x8000u
#define FSW_XF 0x003fu

/* What the stub reads and writes; offsets used by the emitted code. */
struct bt_fpu_io {
	struct x86_fpu fx;      /* 0: the image loaded and saved */
	uint8_t mem[512 + 32];  /* 512: the memory operand, at mem + (lin & 15) */
	uint64_t memp;          /* 1056: where the operand is */
	uint64_t rflags;        /* 1064: guest arithmetic flags in / out */
	uint32_t gpr;           /* 1072: the GPR operand (EAX in the stub) */
	uint32_t host_mxcsr;    /* 1076 */
};
#define IO_MEMP 1056
#define IO_RFLAGS 1064
#define IO_GPR 1072
#define IO_HMXCSR 1076
_Static_assert(offsetof(struct bt_fpu_io, memp) == IO_MEMP, "io layout");
_Static_assert(offsetof(struct bt_fpu_io, rflags) == IO_RFLAGS, "io layout");
_Static_assert(offsetof(struct bt_fpu_io, gpr) == IO_GPR, "io layout");
_Static_assert(offsetof(struct bt_fpu_io, host_mxcsr) == IO_HMXCSR, "io layout");

struct stub_slot {
	uint8_t key[16];
	uint8_t len;            /* 0: empty */
	uint32_t off;
};

struct bt_fpx {
	struct bt_fpu_io io;
	int fd;
	uint8_t *rw, *rx;
	size_t used;
	unsigned nslots;
	uint32_t host_mxcsr, mxcsr_mask;
	struct stub_slot slot[STUB_SLOTS];
};

static uint32_t host_mxcsr_mask(void)
{
	static struct x86_fpu fx;
	memset(&fx, 0, sizeof(fx));
	__asm__ volatile("fxsave %0" : "=m"(fx));
	return fx.mxcsr_mask ? fx.mxcsr_mask : 0xffbf;
}

int bt_fpu_init(struct bt_cpu *c)
{
	struct bt_fpx *x = aligned_alloc(64, VMM_ALIGN_UP(sizeof(*x), 64));
	if (!x)
		return -ENOMEM;
	memset(x, 0, sizeof(*x));
	x->fd = memfd_create("triplex-bt-fpu", MFD_CLOEXEC);
	if (x->fd < 0 || ftruncate(x->fd, STUB_AREA) < 0)
		goto fail;
	x->rw = mmap(NULL, STUB_AREA, PROT_READ | PROT_WRITE, MAP_SHARED, x->fd, 0);
	x->rx = mmap(NULL, STUB_AREA, PROT_READ | PROT_EXEC, MAP_SHARED, x->fd, 0);
	if (x->rw == MAP_FAILED || x->rx == MAP_FAILED)
		goto fail;
	if (bt_signal_init())
		goto fail;
	x->rw[0] = 0xc3; /* the fault landing: ret (the handler set EAX) */
	x->used = 16;
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	x->host_mxcsr = m;
	x->mxcsr_mask = host_mxcsr_mask();
	c->fpx = x;
	c->fpu.mxcsr_mask = x->mxcsr_mask;
	c->fpu_host_mxcsr = x->host_mxcsr;
	return 0;
fail:
	vmm_err("bt: FPU stub area: %s", strerror(errno));
	if (x->rw && x->rw != MAP_FAILED)
		munmap(x->rw, STUB_AREA);
	if (x->rx && x->rx != MAP_FAILED)
		munmap(x->rx, STUB_AREA);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
	return -ENOMEM;
}

void bt_fpu_fini(struct bt_cpu *c)
{
	struct bt_fpx *x = c->fpx;
	if (!x)
		return;
	munmap(x->rw, STUB_AREA);
	munmap(x->rx, STUB_AREA);
	close(x->fd);
	free(x);
	c->fpx = NULL;
}

uint32_t bt_fpu_mxcsr_mask(const struct bt_cpu *c)
{
	return c->fpx ? c->fpx->mxcsr_mask : 0xffbf;
}

/* ---------------------------------------------------------------- encoding */

static unsigned opc(const struct bt_insn *in, unsigned i)
{
	return in->opc_off + i < in->len ? in->bytes[in->opc_off + i] : 0;
}

/* Offset of the ModRM byte, or 0 if the instruction has none. */
static unsigned modrm_at(const struct bt_insn *in)
{
	unsigned o = opc(in, 0);
	if (o >= 0xd8 && o <= 0xdf)
		return in->opc_off + 1u;
	if (o == 0x0f && opc(in, 1) != 0x77)
		return in->opc_off + 2u;
	return 0;
}

/* Bytes of ModRM + SIB + displacement. */
static unsigned modrm_len(const struct bt_insn *in, unsigned at)
{
	uint8_t m = in->bytes[at];
	unsigned mod = m >> 6, rm = m & 7;
	if (mod == 3)
		return 1;
	if (in->asz == 2)
		return 1 + (mod == 1 ? 1u : mod == 2 || (mod == 0 && rm == 6) ? 2u : 0u);
	unsigned n = 1;
	if (rm == 4) {
		n++;
		if (mod == 0 && (in->bytes[at + 1] & 7) == 5)
			return n + 4;
	}
	return n + (mod == 1 ? 1u : mod == 2 || (mod == 0 && rm == 5) ? 4u : 0u);
}

static const struct bt_op *fp_mem_op(const struct bt_insn *in)
{
	for (unsigned i = 0; i < in->nops; i++)
		if (in->op[i].kind == BT_OP_MEM)
			return &in->op[i];
	return NULL;
}

static const struct bt_op *fp_gpr_op(const struct bt_insn *in)
{
	for (unsigned i = 0; i < in->nops; i++)
		if (in->op[i].kind == BT_OP_REG && in->op[i].rc == BT_RC_GPR)
			return &in->op[i];
	return NULL;
}

/* The GPR operand is in ModRM.reg (destination) rather than ModRM.rm. */
static bool gpr_in_reg(const struct bt_insn *in)
{
	switch (opc(in, 1)) {
	case 0x50: case 0xc5: case 0xd7: case 0x2c: case 0x2d:
		return true;
	default:
		return false;
	}
}

/* Whether the instruction writes its GPR operand. */
static bool gpr_written(const struct bt_insn *in)
{
	if (opc(in, 0) != 0x0f)
		return true; /* FNSTSW AX */
	return gpr_in_reg(in) || (opc(in, 1) == 0x7e && in->rep != 0xf3);
}

/* The memory operand's access: size (0: none) and direction. */
struct fp_acc {
	unsigned size;
	bool read, write;
	unsigned wsize;       /* bytes written back (FXSAVE: 464) */
};

static void x87_mem_acc(const struct bt_insn *in, unsigned o, unsigned reg, struct fp_acc *a)
{
	static const uint8_t sz[8][8] = {
		/* D8 */ { 4, 4, 4, 4, 4, 4, 4, 4 },
		/* D9 */ { 4, 0, 4, 4, 0, 2, 0, 2 },
		/* DA */ { 4, 4, 4, 4, 4, 4, 4, 4 },
		/* DB */ { 4, 4, 4, 4, 0, 10, 0, 10 },
		/* DC */ { 8, 8, 8, 8, 8, 8, 8, 8 },
		/* DD */ { 8, 8, 8, 8, 0, 0, 0, 2 },
		/* DE */ { 2, 2, 2, 2, 2, 2, 2, 2 },
		/* DF */ { 2, 2, 2, 2, 10, 8, 10, 8 },
	};
	static const uint8_t wr[8] = { 0, 0xcc, 0, 0x8e, 0, 0xce, 0, 0xce };
	a->size = sz[o - 0xd8][reg];
	if (o == 0xd9 && (reg == 4 || reg == 6))
		a->size = in->osz == 4 ? 28 : 14;
	if (o == 0xdd && (reg == 4 || reg == 6))
		a->size = in->osz == 4 ? 108 : 94;
	a->write = (wr[o - 0xd8] >> reg) & 1;
	a->read = !a->write;
	a->wsize = a->size;
}

static bool sse_store(const struct bt_insn *in)
{
	switch (opc(in, 1)) {
	case 0x11: case 0x13: case 0x17: case 0x29: case 0x2b: case 0x7f: case 0xe7: case 0xd6:
		return true;
	case 0x7e:
		return in->rep != 0xf3;
	default:
		return false;
	}
}

bool bt_fpu_native(const struct bt_insn *in, struct bt_fpu_native *n)
{
	if (in->lock || in->asz != 4)
		return false;
	if (in->fpc == BT_FP_WAIT) {
		*n = (struct bt_fpu_native){ 0 };
		return true;
	}
	if (in->fpc != BT_FP_X87 && in->fpc != BT_FP_MMX && in->fpc != BT_FP_SSE &&
	    in->fpc != BT_FP_SSE_MMX)
		return false;
	if (in->id == X86_INS_MASKMOVQ || in->id == X86_INS_MASKMOVDQU)
		return false; /* implicit DS:EDI operand */
	const struct bt_op *g = fp_gpr_op(in);
	if (g && g->reg == X86_RSP)
		return false; /* ESP lives in R12 */
	unsigned at = modrm_at(in), o = opc(in, 0);
	const struct bt_op *m = fp_mem_op(in);
	*n = (struct bt_fpu_native){ .modrm = (uint8_t)at };
	if (!m)
		return true;
	unsigned reg = (in->bytes[at] >> 3) & 7;
	struct fp_acc a;
	if (o >= 0xd8 && o <= 0xdf) {
		if (((o == 0xd9 || o == 0xdd) && (reg == 4 || reg == 6)) ||
		    ((o == 0xdb || o == 0xdd || o == 0xdf) && reg == 1))
			return false; /* environments (guest FIP/FDP), FISTTP (#UD) */
		x87_mem_acc(in, o, reg, &a);
	} else {
		a.size = m->size ? m->size : 4;
		a.write = sse_store(in) || in->id == X86_INS_STMXCSR;
	}
	n->mem = m;
	n->size = (uint8_t)a.size;
	n->write = a.write;
	n->tail = (uint8_t)(at + modrm_len(in, at));
	return true;
}

/* ---------------------------------------------------------------- stubs */

static void put(uint8_t **p, const void *b, unsigned n)
{
	memcpy(*p, b, n);
	*p += n;
}

static void put_r11_disp(uint8_t **p, const uint8_t *op, unsigned n, uint32_t disp)
{
	put(p, op, n);
	memcpy(*p, &disp, 4);
	*p += 4;
}

/* The stub for normalized instruction (key, len): see the file comment. */
static void *stub_get(struct bt_fpx *x, const uint8_t *key, unsigned len)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	unsigned i = h & (STUB_SLOTS - 1);
	for (;; i = (i + 1) & (STUB_SLOTS - 1)) {
		struct stub_slot *s = &x->slot[i];
		if (!s->len)
			break;
		if (s->len == len && !memcmp(s->key, key, len))
			return x->rx + s->off;
	}
	if (x->used + STUB_MAX > STUB_AREA || x->nslots >= STUB_SLOTS / 2) {
		memset(x->slot, 0, sizeof(x->slot));
		x->nslots = 0;
		x->used = 16;
		i = h & (STUB_SLOTS - 1);
	}
	uint8_t *start = x->rw + x->used, *p = start;
	put(&p, "\x49\x89\xfb", 3);                          /* mov r11, rdi */
	put(&p, "\x41\x0f\xae\x0b", 4);                      /* fxrstor [r11] */
	put_r11_disp(&p, (const uint8_t *)"\x41\xff\xb3", 3, IO_RFLAGS); /* push [r11+fl] */
	put(&p, "\x9d", 1);                                  /* popfq */
	put_r11_disp(&p, (const uint8_t *)"\x41\x8b\x83", 3, IO_GPR);    /* mov eax, [r11+gpr] */
	put_r11_disp(&p, (const uint8_t *)"\x49\x8b\xbb", 3, IO_MEMP);   /* mov rdi, [r11+memp] */
	put(&p, key, len);
	put_r11_disp(&p, (const uint8_t *)"\x41\x89\x83", 3, IO_GPR);    /* mov [r11+gpr], eax */
	put(&p, "\x9c", 1);                                  /* pushfq */
	put_r11_disp(&p, (const uint8_t *)"\x41\x8f\x83", 3, IO_RFLAGS); /* pop [r11+fl] */
	put(&p, "\x41\x0f\xae\x03", 4);                      /* fxsave [r11] */
	put(&p, "\xdb\xe3", 2);                              /* fninit */
	put_r11_disp(&p, (const uint8_t *)"\x41\x0f\xae\x93", 4, IO_HMXCSR); /* ldmxcsr */
	put(&p, "\x31\xc0\xc3", 3);                          /* xor eax, eax; ret */
	struct stub_slot *s = &x->slot[i];
	memcpy(s->key, key, len);
	s->len = (uint8_t)len;
	s->off = (uint32_t)x->used;
	x->nslots++;
	void *code = x->rx + x->used;
	x->used = VMM_ALIGN_UP(x->used + (size_t)(p - start), 16);
	return code;
}

/* Re-encode (in) for the stub: mandatory prefixes kept, segment and
 * address-size prefixes dropped, the memory operand as [rdi], the GPR
 * operand as EAX. Returns the length. */
static unsigned normalize(const struct bt_insn *in, uint8_t *k)
{
	unsigned n = 0, o = opc(in, 0);
	bool x87 = o >= 0xd8 && o <= 0xdf;
	if (x87) {
		if (in->osz == 2)
			k[n++] = 0x66; /* FNSTENV/FLDENV/FNSAVE/FRSTOR: 16-bit format */
	} else {
		for (unsigned i = 0; i < in->opc_off; i++)
			if (in->bytes[i] == 0x66)
				k[n++] = 0x66;
		if (in->rep)
			k[n++] = in->rep;
	}
	unsigned at = modrm_at(in);
	if (!at) {
		memcpy(k + n, in->bytes + in->opc_off, in->len - in->opc_off);
		return n + in->len - in->opc_off;
	}
	memcpy(k + n, in->bytes + in->opc_off, at - in->opc_off);
	n += at - in->opc_off;
	uint8_t m = in->bytes[at];
	bool gpr = fp_gpr_op(in) && !x87;
	if ((m >> 6) != 3)
		m = (uint8_t)((m & 0x38) | 7); /* [rdi] */
	else if (gpr && !gpr_in_reg(in))
		m &= 0xf8; /* EAX */
	if (gpr && gpr_in_reg(in))
		m &= 0xc7; /* EAX */
	k[n++] = m;
	unsigned tail = at + modrm_len(in, at);
	memcpy(k + n, in->bytes + tail, in->len - tail);
	return n + in->len - tail;
}

typedef uint32_t (*stub_fn)(struct bt_fpu_io *io);

extern __thread struct bt_cpu *bt_cur_cpu; /* bt_trans.c: for the signal handler */

/* ---------------------------------------------------------------- checks */

static bool x87_waiting(const struct bt_insn *in)
{
	unsigned o = opc(in, 0), m = opc(in, 1), reg = (m >> 3) & 7;
	if (o == 0xdb && (m == 0xe2 || m == 0xe3))
		return false; /* FNCLEX, FNINIT */
	if (o == 0xdf && m == 0xe0)
		return false; /* FNSTSW AX */
	if ((m >> 6) != 3 && ((o == 0xd9 && (reg == 6 || reg == 7)) ||
			      (o == 0xdd && (reg == 6 || reg == 7))))
		return false; /* FNSTENV, FNSTCW, FNSAVE, FNSTSW m16 */
	return true;
}

VMM_NORETURN static void raise_nm(struct bt_cpu *c)
{
	bt_raise(c, X86_EXC_NM, 0, false);
}

/* A pending unmasked x87 exception at a waiting instruction: #MF with
 * CR0.NE, else (IGNNE#) carry on. Returns true if the instruction must run
 * with the pending flags hidden from the host. */
static bool check_pending(struct bt_cpu *c)
{
	if (!(c->fpu.fsw & FSW_ES))
		return false;
	if (c->cr0 & X86_CR0_NE)
		bt_raise(c, X86_EXC_MF, 0, false);
	return true;
}

/* SDM 3A 2.5 (CR0.EM/TS/MP), 13.1 (OSFXSR), 22.? exception tables. */
static bool fp_checks(struct bt_cpu *c, const struct bt_insn *in)
{
	uint32_t cr0 = c->cr0;
	switch (in->fpc) {
	case BT_FP_X87:
		if (cr0 & (X86_CR0_EM | X86_CR0_TS))
			raise_nm(c);
		return x87_waiting(in) && check_pending(c);
	case BT_FP_MMX:
		if (cr0 & X86_CR0_EM)
			bt_raise_ud(c);
		if (cr0 & X86_CR0_TS)
			raise_nm(c);
		return check_pending(c);
	case BT_FP_SSE:
	case BT_FP_SSE_MMX:
		if ((cr0 & X86_CR0_EM) || !(c->cr4 & X86_CR4_OSFXSR))
			bt_raise_ud(c);
		if (cr0 & X86_CR0_TS)
			raise_nm(c);
		return in->fpc == BT_FP_SSE_MMX && check_pending(c);
	case BT_FP_FXSR:
		if (cr0 & (X86_CR0_EM | X86_CR0_TS))
			raise_nm(c);
		return false;
	default:
		bt_raise_ud(c);
	}
}

/* ---------------------------------------------------------------- pointers */

/* FIP/FCS/FDP/FDS/FOP in the image after (in) ran (SDM 1 8.1.8). */
bool bt_fpu_x87_sets_fip(const struct bt_insn *in, uint16_t *fop)
{
	unsigned o = opc(in, 0), mb = opc(in, 1), reg = (mb >> 3) & 7;
	bool mem = (mb >> 6) != 3;
	/* control instructions leave them alone */
	if (o < 0xd8 || o > 0xdf || (o == 0xd9 && mem && reg >= 4) ||
	    (o == 0xdd && mem && reg >= 4) || (o == 0xdb && (mb == 0xe2 || mb == 0xe3)) ||
	    (o == 0xdf && mb == 0xe0))
		return false;
	*fop = (uint16_t)(((o & 7) << 8) | mb);
	return true;
}

static void x87_pointers(struct bt_cpu *c, const struct bt_insn *in, const struct bt_op *m,
			 uint32_t ea)
{
	uint16_t fop;
	if (!bt_fpu_x87_sets_fip(in, &fop))
		return;
	c->fpu.fop = fop;
	c->fpu.fip = c->eip | (uint64_t)c->seg[X86_CS].sel << 32;
	if (m)
		c->fpu.fdp = ea | (uint64_t)c->seg[m->seg].sel << 32;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* The pointer part of an FNSTENV/FLDENV environment (SDM 1 8.1.10,
 * figures 8-9..8-12): written from / read into the image. */
static void env_ptrs(struct bt_cpu *c, uint8_t *env, bool o32, bool store)
{
	bool real = !bt_pe(c) || (c->eflags & X86_FLAGS_VM);
	struct x86_fpu *f = &c->fpu;
	uint32_t fip = (uint32_t)f->fip, fdp = (uint32_t)f->fdp;
	uint16_t fcs = (uint16_t)(f->fip >> 32), fds = (uint16_t)(f->fdp >> 32);
	unsigned w = o32 ? 4 : 2; /* field stride */
	uint8_t *ip = env + 3 * w, *sel = env + 4 * w, *dp = env + 5 * w, *dsel = env + 6 * w;
	if (store) {
		if (real) {
			uint32_t lip = fip + ((uint32_t)fcs << 4), ldp = fdp + ((uint32_t)fds << 4);
			if (o32) {
				wr32(ip, lip & 0xffff);
				wr32(sel, ((lip >> 16) << 12) | (f->fop & 0x7ff));
				wr32(dp, ldp & 0xffff);
				wr32(dsel, (ldp >> 16) << 12);
			} else {
				wr16(ip, (uint16_t)lip);
				wr16(sel, (uint16_t)(((lip >> 16) << 12) | (f->fop & 0x7ff)));
				wr16(dp, (uint16_t)ldp);
				wr16(dsel, (uint16_t)((ldp >> 16) << 12));
			}
		} else if (o32) {
			wr32(ip, fip);
			wr32(sel, fcs | (uint32_t)(f->fop & 0x7ff) << 16);
			wr32(dp, fdp);
			wr32(dsel, fds | 0xffff0000u);
		} else {
			wr16(ip, (uint16_t)fip);
			wr16(sel, fcs);
			wr16(dp, (uint16_t)fdp);
			wr16(dsel, fds);
		}
		return;
	}
	if (real) {
		uint32_t lip = o32 ? (rd32(ip) & 0xffff) | ((rd32(sel) >> 12) << 16)
				   : rd16(ip) | ((uint32_t)(rd16(sel) >> 12) << 16);
		uint32_t ldp = o32 ? (rd32(dp) & 0xffff) | ((rd32(dsel) >> 12) << 16)
				   : rd16(dp) | ((uint32_t)(rd16(dsel) >> 12) << 16);
		f->fop = (uint16_t)((o32 ? rd32(sel) : rd16(sel)) & 0x7ff);
		f->fip = lip;
		f->fdp = ldp;
	} else if (o32) {
		f->fip = rd32(ip) | (uint64_t)rd16(sel) << 32;
		f->fop = (uint16_t)((rd32(sel) >> 16) & 0x7ff);
		f->fdp = rd32(dp) | (uint64_t)rd16(dsel) << 32;
	} else {
		f->fip = rd16(ip) | (uint64_t)rd16(sel) << 32;
		f->fdp = rd16(dp) | (uint64_t)rd16(dsel) << 32;
	}
}

/* FXSAVE image pointer fields (32-bit format). */
static void fx_ptrs(struct x86_fpu *f, uint8_t *img, bool store)
{
	if (store) {
		wr16(img + 6, f->fop);
		wr32(img + 8, (uint32_t)f->fip);
		wr32(img + 12, (uint16_t)(f->fip >> 32));
		wr32(img + 16, (uint32_t)f->fdp);
		wr32(img + 20, (uint16_t)(f->fdp >> 32));
		return;
	}
	f->fop = rd16(img + 6) & 0x7ff;
	f->fip = rd32(img + 8) | (uint64_t)rd16(img + 12) << 32;
	f->fdp = rd32(img + 16) | (uint64_t)rd16(img + 20) << 32;
}

/* ---------------------------------------------------------------- run */

static void mem_io(struct bt_cpu *c, uint32_t lin, uint8_t *buf, unsigned n, bool write)
{
	bool user = c->cpl == 3;
	for (unsigned i = 0; i < n;) {
		unsigned left = n - i, sz = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
		if (write) {
			uint64_t v = 0;
			memcpy(&v, buf + i, sz);
			bt_lwrite(c, lin + i, v, sz, user);
		} else {
			uint64_t v = bt_lread(c, lin + i, sz, user);
			memcpy(buf + i, &v, sz);
		}
		i += sz;
	}
}

/* Run (in) on the host with the guest's state; returns the host signal
 * that stopped it (0: none). */
static int run_stub(struct bt_cpu *c, const struct bt_insn *in, uint8_t *buf, bool hide)
{
	struct bt_fpx *x = c->fpx;
	struct bt_fpu_io *io = &x->io;
	uint8_t key[16];
	unsigned klen = normalize(in, key);
	stub_fn fn = (stub_fn)stub_get(x, key, klen);
	io->fx = c->fpu;
	uint16_t saved = 0;
	if (hide) {
		saved = io->fx.fsw & (FSW_XF | FSW_ES | FSW_B);
		io->fx.fsw &= (uint16_t)~(FSW_XF | FSW_ES | FSW_B);
	}
	io->fx.mxcsr &= x->mxcsr_mask;
	io->memp = (uint64_t)(uintptr_t)buf;
	io->rflags = (c->eflags & 0x8d5u) | 2;
	io->host_mxcsr = x->host_mxcsr;
	struct bt_cpu *prev = bt_cur_cpu;
	bt_cur_cpu = c;
	uint32_t sig = fn(io);
	bt_cur_cpu = prev;
	if (sig)
		return (int)sig;
	if (hide)
		io->fx.fsw |= saved;
	return 0;
}

void bt_fpu_exec(struct bt_cpu *c, const struct bt_insn *in)
{
	if (in->lock)
		bt_raise_ud(c);
	bool hide = fp_checks(c, in);
	struct bt_fpx *x = c->fpx;
	VMM_ASSERT(x);
	const struct bt_op *m = fp_mem_op(in);
	unsigned o = opc(in, 0);
	bool x87 = in->fpc == BT_FP_X87;
	struct fp_acc a = { 0, false, false, 0 };
	uint32_t ea = 0, lin = 0;
	unsigned seg = X86_DS;
	bool maskmov = in->id == X86_INS_MASKMOVQ || in->id == X86_INS_MASKMOVDQU;
	if (m) {
		unsigned at = modrm_at(in), reg = at ? (in->bytes[at] >> 3) & 7u : 0;
		seg = m->seg;
		ea = bt_op_ea(c, in, m);
		if (x87) {
			x87_mem_acc(in, o, reg, &a);
			if ((o == 0xdb || o == 0xdd || o == 0xdf) && reg == 1)
				bt_raise_ud(c); /* FISTTP: SSE3, not enumerated */
		} else if (in->fpc == BT_FP_FXSR) {
			a.size = 512;
			a.write = reg == 0;
			a.read = !a.write;
			a.wsize = a.write ? 464 : 0;
		} else {
			a.size = m->size ? m->size : 4;
			a.write = sse_store(in) || in->id == X86_INS_STMXCSR;
			a.read = !a.write;
			a.wsize = a.size;
		}
	} else if (maskmov) {
		seg = bt_insn_dseg(in);
		ea = in->asz == 2 ? c->gpr[X86_RDI] & 0xffff : c->gpr[X86_RDI];
		a.size = a.wsize = in->id == X86_INS_MASKMOVQ ? 8 : 16;
		a.read = a.write = true;
	}
	uint8_t *buf = x->io.mem;
	if (a.size) {
		lin = bt_vaddr(c, seg, ea, a.size, a.write ? BT_ACC_W : BT_ACC_R);
		buf += maskmov ? 0 : (lin & 15);
		if (a.write)
			bt_probe_write(c, lin, a.size, c->cpl == 3);
		if (a.read)
			mem_io(c, lin, buf, a.size, false);
	}
	const struct bt_op *g = fp_gpr_op(in);
	if (g)
		x->io.gpr = c->gpr[g->reg];
	if (x87 && opc(in, 0) == 0xdf && opc(in, 1) == 0xe0)
		x->io.gpr = c->gpr[X86_RAX];
	struct x86_fpu before = c->fpu;
	int sig = run_stub(c, in, buf, hide);
	if (sig) {
		c->fpu = x->io.fx;
		c->fpu.fip = before.fip;
		c->fpu.fdp = before.fdp;
		c->fpu.fop = before.fop;
		if (sig == SIGFPE && !x87)
			bt_raise(c, (c->cr4 & X86_CR4_OSXMMEXCPT) ? X86_EXC_XM : X86_EXC_UD, 0, false);
		if (sig == SIGFPE)
			bt_raise(c, X86_EXC_MF, 0, false);
		bt_raise_gp(c, 0);
	}
	/* commit: memory first (it was checked), then registers */
	struct x86_fpu *f = &x->io.fx;
	f->fip = before.fip;
	f->fdp = before.fdp;
	f->fop = before.fop;
	if (a.write) {
		if (x87 && (o == 0xd9 || o == 0xdd) && ((opc(in, 1) >> 3) & 7) == 6)
			env_ptrs(c, buf, in->osz == 4, true); /* FNSTENV, FNSAVE */
		if (in->fpc == BT_FP_FXSR)
			fx_ptrs(&before, buf, true); /* AMD hosts do not store them */
		mem_io(c, lin, buf, a.wsize, true);
	}
	c->fpu = *f;
	if (x87) {
		unsigned mb = opc(in, 1), reg = (mb >> 3) & 7;
		if (m && (o == 0xd9 || o == 0xdd) && reg == 4) {
			env_ptrs(c, buf, in->osz == 4, false); /* FLDENV, FRSTOR */
		} else if ((m && o == 0xdd && reg == 6) || (o == 0xdb && mb == 0xe3)) {
			c->fpu.fip = c->fpu.fdp = 0; /* FNSAVE, FNINIT */
			c->fpu.fop = 0;
		} else {
			x87_pointers(c, in, m, ea);
		}
	} else if (in->fpc == BT_FP_FXSR && a.read) {
		fx_ptrs(&c->fpu, buf, false);
	}
	if (g && gpr_written(in))
		bt_reg_write(c, g->reg, 4, x->io.gpr);
	if (x87 && opc(in, 0) == 0xdf && opc(in, 1) == 0xe0)
		c->gpr[X86_RAX] = x->io.gpr;
	c->eflags = (c->eflags & ~0x8d5u) | ((uint32_t)x->io.rflags & 0x8d5u);
}

bool bt_interp_fpu(struct bt_cpu *c, const struct bt_insn *in)
{
	switch (in->fpc) {
	case BT_FP_NONE:
		return false;
	case BT_FP_WAIT:
		if ((c->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
			raise_nm(c);
		(void)check_pending(c);
		return true;
	case BT_FP_FENCE:
		/* one vCPU, and every access of the interpreter is ordered */
		return true;
	case BT_FP_CLFLUSH: {
		const struct bt_op *m = fp_mem_op(in);
		if (!m)
			bt_raise_ud(c);
		(void)bt_read(c, m->seg, bt_op_ea(c, in, m), 1); /* faults as a load */
		return true;
	}
	case BT_FP_MOVNTI:
		if (in->nops != 2 || in->op[0].kind != BT_OP_MEM)
			bt_raise_ud(c);
		bt_op_write(c, in, &in->op[0], bt_op_read(c, in, &in->op[1]));
		return true;
	default:
		bt_fpu_exec(c, in);
		return true;
	}
}

bool bt_fpu_stub_fault(struct bt_cpu *c, int sig, void *ucv)
{
	struct bt_fpx *x = c->fpx;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	if (!x || rip < (uintptr_t)x->rx || rip >= (uintptr_t)x->rx + STUB_AREA)
		return false;
	if (sig != SIGFPE && sig != SIGSEGV)
		return false;
	struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	if (fp) {
		memcpy(&x->io.fx, fp, sizeof(x->io.fx));
		/* the host continues with a clean x87 and its own MXCSR */
		fp->cwd = 0x37f;
		fp->swd = 0;
		fp->ftw = 0;
		fp->mxcsr = x->host_mxcsr;
	}
	g[REG_RAX] = sig;
	g[REG_RIP] = (greg_t)(uintptr_t)x->rx; /* ret */
	return true;
}

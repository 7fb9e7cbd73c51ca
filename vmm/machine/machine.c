/* machine.c: the machine builder (machine.h): the order in which a PC is
 * put together, and the boot information QEMU's -kernel publishes in
 * fw_cfg, so a guest that reads it finds the same keys under Triplex. */
#include <errno.h>
#include <string.h>

#include "vmm/machine/machine.h"
#include "vmm/vmi/vmi.h"

static int publish_boot_info(struct fwcfg *fw, const struct guest_mem *mem,
			     const struct load_result *res, const struct load_params *p)
{
	/* As QEMU's -kernel: key 0x11 holds the loaded kernel's bytes. */
	const void *kdata = mem_gpa_to_hva(mem, res->kernel_addr, res->kernel_size);
	int r = fwcfg_add_u32(fw, FW_CFG_KERNEL_ADDR, (uint32_t)res->kernel_addr);
	r = r ? r : fwcfg_add_u32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)res->kernel_size);
	if (kdata && res->kernel_size)
		r = r ? r : fwcfg_add_bytes(fw, FW_CFG_KERNEL_DATA, kdata,
					    (uint32_t)res->kernel_size);
	r = r ? r : fwcfg_add_u32(fw, FW_CFG_KERNEL_ENTRY, (uint32_t)res->info.entry);
	if (res->cmdline_addr) {
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_CMDLINE_ADDR, (uint32_t)res->cmdline_addr);
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_CMDLINE_SIZE, res->cmdline_size);
	}
	const char *cmd = p->cmdline ? p->cmdline : "";
	r = r ? r : fwcfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, cmd, (uint32_t)strlen(cmd) + 1);
	if (res->initrd_addr) {
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_INITRD_ADDR, (uint32_t)res->initrd_addr);
		r = r ? r : fwcfg_add_u32(fw, FW_CFG_INITRD_SIZE, (uint32_t)res->initrd_size);
	}
	return r;
}

/* Undo a partial build and say whose fault it was. */
static int fail(struct machine *m, int err, int status)
{
	machine_destroy(m);
	m->exit_status = status;
	return err;
}

int machine_build(const struct machine_config *cfg, struct machine *m)
{
	memset(m, 0, sizeof(*m));
	struct vm_config vcfg = { .mem_size = cfg->mem_size, .nr_vcpus = cfg->nr_vcpus };
	m->vm = vm_create(&vcfg);
	if (!m->vm)
		return fail(m, -ENOMEM, VM_EXIT_HOST);
	struct board_config bcfg = { .serial = cfg->serial, .debugcon = cfg->debugcon };
	m->board = board_pc_create(m->vm, &bcfg);
	if (!m->board)
		return fail(m, -EINVAL, VM_EXIT_USAGE);
	struct load_params lp = cfg->load;
	lp.acpi_rsdp = ACPI_RSDP_ADDR; /* the board wrote the ACPI tables */
	int r = load_kernel(&m->vm->mem, &lp, &m->load);
	if (r)
		return fail(m, r, VM_EXIT_USAGE);
	/* A PV-capable guest finds the VMI ROM where its note asked (docs/vmi.md);
	 * every engine runs it, pv rewrites it with hypercalls. */
	if (cfg->guest && cfg->guest->pv.valid) {
		r = vmi_rom_install(m->vm, &cfg->guest->pv);
		if (r)
			return fail(m, r, VM_EXIT_USAGE);
	}
	r = publish_boot_info(m->board->fwcfg, &m->vm->mem, &m->load, &cfg->load);
	if (r) {
		vmm_err("fw_cfg: cannot publish the boot information");
		return fail(m, r, VM_EXIT_HOST);
	}
	r = vm_engine_init(m->vm, cfg->engine, &m->load.entry);
	if (r)
		return fail(m, r, VM_EXIT_HOST);
	return 0;
}

void machine_destroy(struct machine *m)
{
	if (m->board)
		board_pc_destroy(m->board);
	if (m->vm)
		vm_destroy(m->vm);
	m->board = NULL;
	m->vm = NULL;
}

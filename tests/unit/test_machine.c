/* test_machine.c: the machine builder (vmm/machine/machine.h): a PC built
 * from a configuration runs its kernel, publishes QEMU's -kernel boot keys
 * in fw_cfg, maps the VMI ROM only for a guest whose note asks for it, and
 * says whose fault a failed build was, leaving nothing behind. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/util.h"
#include "tests/unit/util_images.h"
#include "vmm/core/engine.h"
#include "vmm/machine/machine.h"

/* A Multiboot ELF at 1 MiB whose code writes 0x21 to isa-debug-exit. */
static char *exit_kernel(void)
{
	struct util_img img = util_mb_elf(0x100000, 0x1000, 0);
	static const uint8_t code[] = { 0xb0, 0x21, 0xe6, 0xf4, 0xf4 }; /* mov al; out; hlt */
	util_img_put(&img, UTIL_ELF_DATA_OFF, code, sizeof(code));
	return util_temp_img(&img);
}

static struct machine_config config(const char *kernel, const char *cmdline)
{
	return (struct machine_config){ .mem_size = 32 * MiB, .nr_vcpus = 1, .serial = "none",
					.load = { .kernel = kernel, .cmdline = cmdline },
					.engine = engine_find("bt") };
}

static void test_machine_runs_the_kernel_it_was_built_with(void **state)
{
	char *k = exit_kernel();
	struct machine_config cfg = config(k, NULL);
	struct machine m;
	assert_int_equal(machine_build(&cfg, &m), 0);
	assert_non_null(m.vm->engine);
	assert_int_equal(m.load.kernel_addr, 0x100000);
	assert_int_equal(vm_run(m.vm), (0x21 << 1) | 1);
	machine_destroy(&m);
	assert_null(m.vm);
	util_temp_remove(k);
}

static uint32_t fwcfg_u32(struct vm *vm, uint16_t key)
{
	test_out(vm, 0x510, key, 2);
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)inb(vm, 0x511) << (8 * i);
	return v;
}

static void test_machine_publishes_the_boot_keys_in_fw_cfg_as_qemu_does(void **state)
{
	char *k = exit_kernel();
	struct machine_config cfg = config(k, "console=ttyS0");
	struct machine m;
	assert_int_equal(machine_build(&cfg, &m), 0);
	assert_int_equal(fwcfg_u32(m.vm, FW_CFG_KERNEL_ADDR), 0x100000);
	assert_int_equal(fwcfg_u32(m.vm, FW_CFG_KERNEL_ENTRY), 0x100000);
	assert_int_equal(fwcfg_u32(m.vm, FW_CFG_CMDLINE_ADDR), m.load.cmdline_addr);
	assert_int_equal(fwcfg_u32(m.vm, FW_CFG_CMDLINE_SIZE), m.load.cmdline_size);
	char cmd[32] = "";
	test_out(m.vm, 0x510, FW_CFG_CMDLINE_DATA, 2);
	for (unsigned i = 0; i < sizeof("console=ttyS0"); i++)
		cmd[i] = (char)inb(m.vm, 0x511);
	assert_string_equal(cmd, "console=ttyS0");
	machine_destroy(&m);
	util_temp_remove(k);
}

static bool has_region(const struct vm *vm, const char *name)
{
	for (unsigned i = 0; i < vm->mem.nr_regions; i++)
		if (!strcmp(vm->mem.region[i].name, name))
			return true;
	return false;
}

static void test_machine_maps_the_vmi_rom_only_for_a_guest_with_a_note(void **state)
{
	char *k = exit_kernel();
	struct machine_config cfg = config(k, NULL);
	struct machine m;
	assert_int_equal(machine_build(&cfg, &m), 0);
	assert_false(has_region(m.vm, "vmi-rom"));
	machine_destroy(&m);

	struct guest_desc g = { .pv = { .present = true, .valid = true } };
	g.pv.n = (struct pv_note){ .version = PV_ABI_VERSION, .bits = 32,
				   .rom_addr = PV_ROM_DEFAULT_ADDR, .kernel_start = 0x100000,
				   .kernel_end = 0x200000 };
	cfg.guest = &g;
	assert_int_equal(machine_build(&cfg, &m), 0);
	assert_true(has_region(m.vm, "vmi-rom"));
	const struct pv_rom_header *h = mem_gpa_to_hva(&m.vm->mem, PV_ROM_DEFAULT_ADDR, sizeof(*h));
	assert_non_null(h);
	assert_int_equal(h->magic, PV_ROM_MAGIC);
	assert_int_equal(h->flavour, PV_FLAVOUR_NATIVE);
	machine_destroy(&m);
	util_temp_remove(k);
}

static void test_machine_blames_the_configuration_for_a_missing_kernel(void **state)
{
	struct machine_config cfg = config("/nonexistent/kernel.elf", NULL);
	struct machine m;
	util_log_begin();
	int r = machine_build(&cfg, &m);
	util_expect_error(r, "/nonexistent/kernel.elf", NULL);
	assert_int_equal(m.exit_status, VM_EXIT_USAGE);
	assert_null(m.vm);
	assert_null(m.board);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_runs_the_kernel_it_was_built_with),
		cmocka_unit_test(test_machine_publishes_the_boot_keys_in_fw_cfg_as_qemu_does),
		cmocka_unit_test(test_machine_maps_the_vmi_rom_only_for_a_guest_with_a_note),
		cmocka_unit_test(test_machine_blames_the_configuration_for_a_missing_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/fuzz/fuzz_scan.c: the guest scan (vmm/select/sel_guest.c) as
 * `triplex probe --guest` and the policy run it: read the image, probe its
 * format and entry, sweep its code with Capstone for what it needs, parse
 * its VMI note. Input: [format 0-4] then the image. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "vmm/core/guest.h"
#include "vmm/select/select.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_init();
	if (!n)
		return 0;
	struct load_params p = { .format = (enum load_format)(d[0] % 5), .flat_addr = 0x100000,
				 .flat_bits = (d[0] & 0x80) ? 16 : 32 };
	p.kernel = fuzz_file(0, d + 1, n - 1);
	struct guest_desc g;
	(void)sel_guest_probe(&p, &g);
	return 0;
}

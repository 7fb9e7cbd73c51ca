/* tests/fuzz/fuzz_note.c: the Triplex VMI note parser (pv_note_parse,
 * docs/vmi.md section 1) on hostile ELF32/ELF64 images: program headers,
 * note segments and sections, name and descriptor sizes, layouts. A parsed
 * note must be self-consistent (the checks below); a refused one must say
 * why. Input: the image. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "vmm/core/guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_init();
	struct pv_guest_note note;
	memset(&note, 0xa5, sizeof(note));
	int r = pv_note_parse(d, n, &note);
	if (r == 0 && note.valid && note.n.bits != 32 && note.n.bits != 64)
		__builtin_trap(); /* accepted a width the ABI does not have */
	if (r != 0 && (note.valid || !note.why[0] || !memchr(note.why, 0, sizeof(note.why))))
		__builtin_trap(); /* refused without saying why */
	return 0;
}

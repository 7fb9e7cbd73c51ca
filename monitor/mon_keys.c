/* mon_keys.c: keys by QEMU's sendkey names and their PC scancodes (set 1,
 * what the i8042 gives a guest with translation on; 0xE0xx for the
 * extended keys), and `sendkey`: press a combination such as
 * "ctrl-alt-delete" in order, release in reverse. The SDL display types
 * through mon_key_send too. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "monitor/mon_internal.h"
#include "vmm/dev/dev.h"

static const struct {
	const char *name;
	uint16_t code;
} keys[] = {
	{ "esc", 0x01 }, { "1", 0x02 }, { "2", 0x03 }, { "3", 0x04 }, { "4", 0x05 },
	{ "5", 0x06 }, { "6", 0x07 }, { "7", 0x08 }, { "8", 0x09 }, { "9", 0x0a }, { "0", 0x0b },
	{ "minus", 0x0c }, { "equal", 0x0d }, { "backspace", 0x0e }, { "tab", 0x0f },
	{ "q", 0x10 }, { "w", 0x11 }, { "e", 0x12 }, { "r", 0x13 }, { "t", 0x14 }, { "y", 0x15 },
	{ "u", 0x16 }, { "i", 0x17 }, { "o", 0x18 }, { "p", 0x19 }, { "bracket_left", 0x1a },
	{ "bracket_right", 0x1b }, { "ret", 0x1c }, { "ctrl", 0x1d }, { "a", 0x1e }, { "s", 0x1f },
	{ "d", 0x20 }, { "f", 0x21 }, { "g", 0x22 }, { "h", 0x23 }, { "j", 0x24 }, { "k", 0x25 },
	{ "l", 0x26 }, { "semicolon", 0x27 }, { "apostrophe", 0x28 }, { "grave_accent", 0x29 },
	{ "shift", 0x2a }, { "backslash", 0x2b }, { "z", 0x2c }, { "x", 0x2d }, { "c", 0x2e },
	{ "v", 0x2f }, { "b", 0x30 }, { "n", 0x31 }, { "m", 0x32 }, { "comma", 0x33 },
	{ "dot", 0x34 }, { "slash", 0x35 }, { "shift_r", 0x36 }, { "asterisk", 0x37 },
	{ "alt", 0x38 }, { "spc", 0x39 }, { "caps_lock", 0x3a }, { "f1", 0x3b }, { "f2", 0x3c },
	{ "f3", 0x3d }, { "f4", 0x3e }, { "f5", 0x3f }, { "f6", 0x40 }, { "f7", 0x41 },
	{ "f8", 0x42 }, { "f9", 0x43 }, { "f10", 0x44 }, { "num_lock", 0x45 },
	{ "scroll_lock", 0x46 }, { "kp_7", 0x47 }, { "kp_8", 0x48 }, { "kp_9", 0x49 },
	{ "kp_subtract", 0x4a }, { "kp_4", 0x4b }, { "kp_5", 0x4c }, { "kp_6", 0x4d },
	{ "kp_add", 0x4e }, { "kp_1", 0x4f }, { "kp_2", 0x50 }, { "kp_3", 0x51 }, { "kp_0", 0x52 },
	{ "kp_decimal", 0x53 }, { "less", 0x56 }, { "f11", 0x57 }, { "f12", 0x58 },
	{ "kp_enter", 0xe01c }, { "ctrl_r", 0xe01d }, { "kp_divide", 0xe035 },
	{ "alt_r", 0xe038 }, { "home", 0xe047 }, { "up", 0xe048 }, { "pgup", 0xe049 },
	{ "left", 0xe04b }, { "right", 0xe04d }, { "end", 0xe04f }, { "down", 0xe050 },
	{ "pgdn", 0xe051 }, { "insert", 0xe052 }, { "delete", 0xe053 }, { "meta_l", 0xe05b },
	{ "meta_r", 0xe05c }, { "menu", 0xe05d },
};

int mon_key_code(const char *name, size_t len, uint16_t *code)
{
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].name) == len && !strncmp(keys[i].name, name, len)) {
			*code = keys[i].code;
			return 0;
		}
	return -ENOENT;
}

int mon_key_send(struct i8042 *kbd, uint16_t code, bool down)
{
	uint8_t b[2];
	unsigned n = 0;
	if (code >> 8)
		b[n++] = (uint8_t)(code >> 8);
	b[n++] = (uint8_t)((code & 0x7f) | (down ? 0 : 0x80));
	return i8042_key(kbd, b, n);
}

int mon_sendkey(struct i8042 *kbd, const char *combo, char *why, size_t len)
{
	uint16_t codes[8];
	unsigned n = 0;
	for (const char *p = combo; *p;) {
		size_t l = strcspn(p, "-");
		if (n == VMM_ARRAY_SIZE(codes)) {
			snprintf(why, len, "at most %zu keys at once", VMM_ARRAY_SIZE(codes));
			return -E2BIG;
		}
		if (!l || mon_key_code(p, l, &codes[n])) {
			snprintf(why, len, "unknown key '%.*s' (QEMU's names: a, ret, spc, ctrl, alt, "
				 "shift, f1, up, delete, ...)", (int)l, p);
			return -ENOENT;
		}
		n++;
		p += l + (p[l] == '-');
	}
	int r = 0;
	for (unsigned i = 0; i < n && !r; i++)
		r = mon_key_send(kbd, codes[i], true);
	for (unsigned i = n; i-- > 0;)
		r = r ? r : mon_key_send(kbd, codes[i], false);
	if (r == -EAGAIN)
		snprintf(why, len, "the guest has disabled its keyboard");
	else if (r == -ENOSPC)
		snprintf(why, len, "the keyboard buffer is full (the guest does not read it)");
	else if (r == -ENOTSUP)
		snprintf(why, len, "the guest reads scancode set 2 or 3 (translation off); only "
			 "set 1 is typed");
	else if (r)
		snprintf(why, len, "%s", strerror(-r));
	return r;
}

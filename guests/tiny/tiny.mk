# guests/tiny/tiny.mk: the tiny VMM test guests (Multiboot ELF32, and one
# flat 16-bit image), built into $(GB)/tiny-*.
TINY_ELF := $(patsubst guests/tiny/%.S,$(GB)/tiny-%.elf,$(filter-out guests/tiny/real.S guests/tiny/elf64.S,$(wildcard guests/tiny/*.S)))
GUEST_BINS += $(TINY_ELF) $(GB)/tiny-real.bin $(GB)/tiny-elf64.elf

$(GB)/tiny-%.elf: guests/tiny/%.S guests/tiny/tiny.h guests/tiny/tiny.ld
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(GUEST_CC) -m32 $(GUEST_CFLAGS) -Iguests/tiny -Wl,-T,guests/tiny/tiny.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments -static -o $@ $<

$(GB)/tiny-real.bin: guests/tiny/real.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(GUEST_CC) -m32 $(GUEST_CFLAGS) -Wl,-Ttext=0x7c00 -Wl,--build-id=none -Wl,--oformat=binary -static -o $@ $<

$(GB)/tiny-elf64.elf: guests/tiny/elf64.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(GUEST_CC) -m64 $(GUEST_CFLAGS) -Wl,-Ttext=0x200000 -Wl,--build-id=none -static -o $@ $<

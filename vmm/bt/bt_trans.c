/* bt_trans.c: the translator (not built yet: every block is interpreted). */
#include "vmm/bt/bt_trans.h"

int bt_trans_init(struct bt_cpu *c)
{
	c->tc = NULL;
	return 0;
}

void bt_trans_fini(struct bt_cpu *c)
{
	(void)c;
}

bool bt_trans_flat(const struct bt_cpu *c)
{
	(void)c;
	return false;
}

void bt_trans_jc_flush(struct bt_cpu *c)
{
	(void)c;
}

void bt_trans_block_invalidate(struct bt_cpu *c, struct bt_block *b)
{
	(void)c;
	(void)b;
}

void bt_trans_page_protect(struct bt_cpu *c, uint64_t gpa_page)
{
	(void)c;
	(void)gpa_page;
}

void bt_trans_page_unprotect(struct bt_cpu *c, uint64_t gpa_page)
{
	(void)c;
	(void)gpa_page;
}

/* guests/selftest/st_paging.h: the pages of the paging cases, shared by
 * ring 0 (st_paging.c) and ring 3 (st_paging_user.c). */
#ifndef GUESTS_SELFTEST_ST_PAGING_H
#define GUESTS_SELFTEST_ST_PAGING_H

#include "st.h"

enum st_pg_page {
	STP_SUP,  /* ring 0 read/write */
	STP_URO,  /* ring 3 read-only */
	STP_URW,  /* ring 3 read/write */
	STP_UX,   /* ring 3 code: mov $1, %eax; ret */
	STP_UNX,  /* the same code, execute-disable */
	STP_SNX,  /* ring 0 code page, execute-disable */
	STP_NP,   /* not present */
	STP_AD,   /* accessed/dirty and invlpg */
	STP_PRIV, /* only in a second address space */
	STP_PAGES
};

#define ST_PG_BASE (PG_WINDOW + 0x400000ul)
#define ST_PG(k) (ST_PG_BASE + (ulong)(k) * 4096)
#define ST_PG_STAMP(k) (0x57a00000u + (uint32_t)(k))

struct st_pg_user {
	bool nx;	       /* in: NX is on, try it */
	uint32_t ro_read;      /* read of STP_URO */
	uint32_t rw_readback;  /* write then read of STP_URW */
	ulong exec_ret;	       /* what the code in STP_UX returned */
	struct st_fault sup_read, ro_write, np_read, nx_fetch;
};

extern struct st_pg_user st_pg_user;
long st_paging_user(void *arg);

#endif

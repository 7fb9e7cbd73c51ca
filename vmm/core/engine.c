/* engine.c: the engine registry. A new engine is a directory plus one entry. */
#include "vmm/core/engine.h"

#include <stdio.h>
#include <string.h>

#include "vmm/bt/bt.h"
#ifdef HAVE_KVM
#include "vmm/hw/hw.h"
#endif
#include "vmm/pv/pv.h"

static const struct engine_ops *const engines[] = {
#ifdef HAVE_KVM
	&hw_engine_ops,
#endif
	&bt_engine_ops,
	&pv_engine_ops,
	NULL, /* keeps the array non-empty in builds without any optional engine */
};

unsigned engine_list(const struct engine_ops *const **list)
{
	*list = engines;
	return VMM_ARRAY_SIZE(engines) - 1;
}

const struct engine_ops *engine_find(const char *name)
{
	for (unsigned i = 0; engines[i]; i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

const char *engine_names(const char *first, char *buf, size_t len)
{
	const char *names[VMM_ARRAY_SIZE(engines)];
	unsigned n = 0;
	if (first)
		names[n++] = first;
	for (unsigned i = 0; engines[i]; i++)
		names[n++] = engines[i]->name;
	size_t at = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	return buf;
}

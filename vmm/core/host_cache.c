/* host_cache.c: where per-host results are cached (the hw compatibility
 * probe, the calibration, guest profiles): $XDG_CACHE_HOME/triplex/ or
 * ~/.cache/triplex/, one JSON file per kind and host fingerprint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "vmm/core/host.h"

int host_cache_path(const char *kind, const char *fingerprint, char *buf, size_t len,
		   bool mkdirs)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[512];
	if (xdg && *xdg)
		snprintf(dir, sizeof(dir), "%s/triplex", xdg);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.cache/triplex", home);
	else
		return -ENOENT;
	if (mkdirs) {
		char parent[512];
		snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(dir, '/') - dir), dir);
		(void)mkdir(parent, 0755); /* may exist */
		(void)mkdir(dir, 0755);
	}
	snprintf(buf, len, "%s/%s-%s.json", dir, kind, fingerprint);
	return 0;
}

void host_cache_store(const char *path, struct json_t *j)
{
	char tmp[700];
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if (json_dump_file(j, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0)
		vmm_debug(sel, "cache: saved %s", path);
	else {
		vmm_debug(sel, "cache: cannot write %s: %s", path, strerror(errno));
		(void)unlink(tmp); /* a cache that cannot be written means probing again */
	}
	json_decref(j);
}

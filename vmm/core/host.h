/* host.h: what the host can do (struct host_caps: the CPU from libcpuid,
 * /dev/kvm, the OS), which engines' probe ops and the policy read, and the
 * per-host cache files where results measured on this host are kept.
 * vmm/select/sel_host.c fills host_caps (sel_host_probe); everything else
 * only reads it, so tests feed fake hosts. */
#ifndef VMM_CORE_HOST_H
#define VMM_CORE_HOST_H

#include "vmm/core/vmm.h"

enum host_kvm_state {
	HOST_KVM_OK,
	HOST_KVM_NOT_BUILT,  /* this binary was configured without KVM */
	HOST_KVM_MISSING,    /* /dev/kvm does not exist */
	HOST_KVM_EACCES,     /* exists, not permitted */
	HOST_KVM_OLD,        /* API version or a needed capability missing */
	HOST_KVM_ERROR,      /* anything else */
};

#define HOST_MAX_KVM_CAPS 24
#define HOST_MAX_KVM_PARAMS 32

struct host_caps {
	/* CPU, from libcpuid */
	bool cpuid_ok;
	char vendor[16];         /* "GenuineIntel", "AuthenticAMD" */
	char brand[64];
	int family, model, stepping;
	bool vmx, svm;           /* visible to us (nested, if in a VM) */
	bool nx, pae, sse2, avx2;
	bool hypervisor;         /* CPUID.1:ECX[31] */
	char hv_sig[13];         /* CPUID 0x40000000 signature, "" if none */
	char hv_vendor[32];      /* libcpuid's guess: "KVM", "VMware", ... */
	unsigned tsc_khz;        /* 0 if unknown */
	/* KVM */
	enum host_kvm_state kvm;
	char kvm_why[192];       /* for kvm != OK: why, e.g. "/dev/kvm: EACCES" */
	int kvm_api;
	char kvm_module[32];     /* "kvm_intel", "kvm_amd", "kvm_pvm", "" */
	int kvm_ept;             /* two-dimensional paging per module param; -1 unknown */
	struct { const char *name; int value; } kvm_cap[HOST_MAX_KVM_CAPS];
	unsigned nr_kvm_caps;
	struct { char name[32]; char value[32]; } kvm_param[HOST_MAX_KVM_PARAMS];
	unsigned nr_kvm_params;
	/* host OS */
	char kernel[96];         /* uname -r */
	unsigned nr_cpus;
	char fingerprint[17];    /* hex FNV-1a of CPU, kernel, KVM params, version */
};

/* ---- per-host cache files ($XDG_CACHE_HOME/triplex/KIND-FINGERPRINT.json) ----
 * host_cache.c; the hw compatibility probe, the calibration and the guest
 * profiles keep their results here. */
struct json_t; /* <jansson.h>: only host_cache.c and its callers see JSON */

/* The cache file for (kind) on the host (fingerprint); creates the directory
 * when (mkdirs). 0, or -ENOENT when neither XDG_CACHE_HOME nor HOME is set. */
int host_cache_path(const char *kind, const char *fingerprint, char *buf, size_t len,
		    bool mkdirs);
/* Write (j) to (path) atomically (a temporary file, then rename); steals (j).
 * A cache that cannot be written only costs a re-probe: debug-logged. */
void host_cache_store(const char *path, struct json_t *j);

#endif

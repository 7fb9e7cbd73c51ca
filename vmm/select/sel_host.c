/* sel_host.c: the host probe: the CPU through libcpuid, /dev/kvm through its
 * ioctls and sysfs (module name and parameters), and a fingerprint that keys
 * per-host caches (the hw compatibility probe, the engine calibration). */
#include "vmm/select/select.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcpuid/libcpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef HAVE_KVM
#include <linux/kvm.h>
#endif

const char *sel_kvm_state_name(enum host_kvm_state s)
{
	switch (s) {
	case HOST_KVM_OK: return "ok";
	case HOST_KVM_NOT_BUILT: return "not built";
	case HOST_KVM_MISSING: return "missing";
	case HOST_KVM_EACCES: return "not permitted";
	case HOST_KVM_OLD: return "too old";
	case HOST_KVM_ERROR: return "error";
	}
	return "?";
}

static void probe_cpu(struct host_caps *c)
{
	struct cpu_raw_data_t raw;
	struct cpu_id_t id;
	if (!cpuid_present() || cpuid_get_raw_data(&raw) < 0 || cpu_identify(&raw, &id) < 0) {
		vmm_debug(sel, "libcpuid: %s", cpuid_error());
		return;
	}
	c->cpuid_ok = true;
	snprintf(c->vendor, sizeof(c->vendor), "%s", id.vendor_str);
	snprintf(c->brand, sizeof(c->brand), "%s", id.brand_str);
	c->family = id.ext_family;
	c->model = id.ext_model;
	c->stepping = id.stepping;
	c->vmx = id.flags[CPU_FEATURE_VMX];
	c->svm = id.flags[CPU_FEATURE_SVM];
	c->nx = id.flags[CPU_FEATURE_NX];
	c->pae = id.flags[CPU_FEATURE_PAE];
	c->sse2 = id.flags[CPU_FEATURE_SSE2];
	c->avx2 = id.flags[CPU_FEATURE_AVX2];
	c->hypervisor = id.flags[CPU_FEATURE_HYPERVISOR];
	if (c->hypervisor) {
		uint32_t r[4];
		cpu_exec_cpuid(0x40000000, r);
		memcpy(c->hv_sig + 0, &r[1], 4);
		memcpy(c->hv_sig + 4, &r[2], 4);
		memcpy(c->hv_sig + 8, &r[3], 4);
		c->hv_sig[12] = 0;
		for (unsigned i = 0; i < 12; i++)
			if (c->hv_sig[i] && (c->hv_sig[i] < 0x20 || c->hv_sig[i] > 0x7e))
				c->hv_sig[i] = '?';
		static const char *const names[NUM_HYPERVISOR_VENDORS] = {
			[HYPERVISOR_NONE] = "none",	   [HYPERVISOR_BHYVE] = "bhyve",
			[HYPERVISOR_HYPERV] = "Hyper-V",   [HYPERVISOR_KVM] = "KVM",
			[HYPERVISOR_PARALLELS] = "Parallels", [HYPERVISOR_QEMU] = "QEMU",
			[HYPERVISOR_VIRTUALBOX] = "VirtualBox", [HYPERVISOR_VMWARE] = "VMware",
			[HYPERVISOR_XEN] = "Xen",
		};
		hypervisor_vendor_t hv = cpuid_get_hypervisor(&raw, &id);
		snprintf(c->hv_vendor, sizeof(c->hv_vendor), "%s",
			 hv >= 0 && hv < NUM_HYPERVISOR_VENDORS && names[hv] ? names[hv] : "unknown");
	}
}

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* The KVM vendor module and its parameters: they change what KVM can do
 * (ept/npt, PVM's options), so they are part of the host fingerprint. */
static void probe_kvm_module(struct host_caps *c)
{
	static const char *const mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	char path[256];
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(mods); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", mods[i]);
		if (access(path, F_OK) == 0) {
			snprintf(c->kvm_module, sizeof(c->kvm_module), "%s", mods[i]);
			break;
		}
	}
	c->kvm_ept = -1;
	if (!c->kvm_module[0])
		return;
	snprintf(path, sizeof(path), "/sys/module/%s/parameters", c->kvm_module);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && c->nr_kvm_params < HOST_MAX_KVM_PARAMS) {
		if (e->d_name[0] == '.')
			continue;
		char p[512], v[32];
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (!read_line(p, v, sizeof(v)))
			continue;
		unsigned n = c->nr_kvm_params++;
		snprintf(c->kvm_param[n].name, sizeof(c->kvm_param[n].name), "%.31s", e->d_name);
		snprintf(c->kvm_param[n].value, sizeof(c->kvm_param[n].value), "%s", v);
		if (!strcmp(e->d_name, "ept") || !strcmp(e->d_name, "npt"))
			c->kvm_ept = (v[0] == 'Y' || v[0] == '1');
	}
	closedir(d);
	/* keep a stable order for the fingerprint */
	for (unsigned i = 1; i < c->nr_kvm_params; i++)
		for (unsigned j = i; j > 0 && strcmp(c->kvm_param[j].name, c->kvm_param[j - 1].name) < 0; j--) {
			__typeof__(c->kvm_param[0]) t = c->kvm_param[j];
			c->kvm_param[j] = c->kvm_param[j - 1];
			c->kvm_param[j - 1] = t;
		}
}

#ifdef HAVE_KVM
static void probe_kvm_dev(struct host_caps *c)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		c->kvm = e == ENOENT ? HOST_KVM_MISSING : e == EACCES || e == EPERM ? HOST_KVM_EACCES : HOST_KVM_ERROR;
		snprintf(c->kvm_why, sizeof(c->kvm_why), "/dev/kvm: %s%s", strerror(e),
			 c->kvm == HOST_KVM_EACCES ? " (add the user to group 'kvm')" : "");
		return;
	}
	c->kvm_api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (c->kvm_api != KVM_API_VERSION) {
		c->kvm = HOST_KVM_OLD;
		snprintf(c->kvm_why, sizeof(c->kvm_why), "/dev/kvm: API version %d, need %d",
			 c->kvm_api, KVM_API_VERSION);
		close(fd);
		return;
	}
	static const struct { const char *name; int cap; bool needed; } caps[] = {
		{ "USER_MEMORY", KVM_CAP_USER_MEMORY, true },
		{ "SET_TSS_ADDR", KVM_CAP_SET_TSS_ADDR, true },
		{ "EXT_CPUID", KVM_CAP_EXT_CPUID, true },
		{ "IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT, true },
		{ "NR_VCPUS", KVM_CAP_NR_VCPUS, false },
		{ "MAX_VCPUS", KVM_CAP_MAX_VCPUS, false },
		{ "SET_IDENTITY_MAP_ADDR", KVM_CAP_SET_IDENTITY_MAP_ADDR, false },
		{ "IRQCHIP", KVM_CAP_IRQCHIP, false },
		{ "XSAVE", KVM_CAP_XSAVE, false },
		{ "XCRS", KVM_CAP_XCRS, false },
		{ "VCPU_EVENTS", KVM_CAP_VCPU_EVENTS, false },
		{ "DEBUGREGS", KVM_CAP_DEBUGREGS, false },
		{ "GET_TSC_KHZ", KVM_CAP_GET_TSC_KHZ, false },
		{ "SET_GUEST_DEBUG", KVM_CAP_SET_GUEST_DEBUG, false },
		{ "READONLY_MEM", KVM_CAP_READONLY_MEM, false },
		{ "COALESCED_PIO", KVM_CAP_COALESCED_PIO, false },
	};
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(caps); i++) {
		int v = ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap);
		if (c->nr_kvm_caps < HOST_MAX_KVM_CAPS)
			c->kvm_cap[c->nr_kvm_caps++] = (__typeof__(c->kvm_cap[0])){ caps[i].name, v < 0 ? 0 : v };
		if (caps[i].needed && v <= 0 && c->kvm == HOST_KVM_OK) {
			c->kvm = HOST_KVM_OLD;
			snprintf(c->kvm_why, sizeof(c->kvm_why), "/dev/kvm: lacks KVM_CAP_%s",
				 caps[i].name);
		}
	}
	close(fd);
}
#endif

static void fingerprint(struct host_caps *c)
{
	uint64_t h = VMM_FNV_INIT;
	h = vmm_fnv1a(h, c->vendor, strlen(c->vendor));
	h = vmm_fnv1a(h, c->brand, strlen(c->brand));
	int fms[3] = { c->family, c->model, c->stepping };
	h = vmm_fnv1a(h, fms, sizeof(fms));
	h = vmm_fnv1a(h, c->kernel, strlen(c->kernel));
	h = vmm_fnv1a(h, c->kvm_module, strlen(c->kvm_module));
	for (unsigned i = 0; i < c->nr_kvm_params; i++) {
		h = vmm_fnv1a(h, c->kvm_param[i].name, strlen(c->kvm_param[i].name));
		h = vmm_fnv1a(h, c->kvm_param[i].value, strlen(c->kvm_param[i].value));
	}
	h = vmm_fnv1a(h, TRIPLEX_VERSION, strlen(TRIPLEX_VERSION));
	snprintf(c->fingerprint, sizeof(c->fingerprint), "%016llx", (unsigned long long)h);
}

void sel_host_probe(struct host_caps *c)
{
	memset(c, 0, sizeof(*c));
	probe_cpu(c);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(c->kernel, sizeof(c->kernel), "%s", u.release);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->nr_cpus = n > 0 ? (unsigned)n : 1;
	probe_kvm_module(c);
#ifdef HAVE_KVM
	probe_kvm_dev(c);
#else
	c->kvm = HOST_KVM_NOT_BUILT;
	snprintf(c->kvm_why, sizeof(c->kvm_why), "built without KVM support (configure found no <linux/kvm.h>)");
#endif
	fingerprint(c);
}

json_t *sel_host_json(const struct host_caps *c)
{
	json_t *cpu = json_pack("{s:b, s:s, s:s, s:i, s:i, s:i, s:b, s:b, s:b, s:b, s:b, s:s?, s:s?}",
				"identified", c->cpuid_ok, "vendor", c->vendor, "brand", c->brand,
				"family", c->family, "model", c->model, "stepping", c->stepping,
				"vmx", c->vmx, "svm", c->svm, "nx", c->nx, "pae", c->pae,
				"hypervisor", c->hypervisor,
				"hypervisor_signature", c->hypervisor ? c->hv_sig : NULL,
				"hypervisor_vendor", c->hypervisor ? c->hv_vendor : NULL);
	json_t *kvm = json_pack("{s:s, s:b, s:b, s:s?, s:i, s:s?}",
				"state", sel_kvm_state_name(c->kvm),
				"present", c->kvm != HOST_KVM_MISSING && c->kvm != HOST_KVM_NOT_BUILT,
				"usable", c->kvm == HOST_KVM_OK,
				"why", c->kvm == HOST_KVM_OK ? NULL : c->kvm_why,
				"api_version", c->kvm_api,
				"module", c->kvm_module[0] ? c->kvm_module : NULL);
	if (c->kvm_ept >= 0)
		json_object_set_new(kvm, "two_dimensional_paging", json_boolean(c->kvm_ept));
	json_t *caps = json_object(), *params = json_object();
	for (unsigned i = 0; i < c->nr_kvm_caps; i++)
		json_object_set_new(caps, c->kvm_cap[i].name, json_integer(c->kvm_cap[i].value));
	for (unsigned i = 0; i < c->nr_kvm_params; i++)
		json_object_set_new(params, c->kvm_param[i].name, json_string(c->kvm_param[i].value));
	json_object_set_new(kvm, "capabilities", caps);
	json_object_set_new(kvm, "module_parameters", params);
	return json_pack("{s:o, s:o, s:s, s:i, s:s}", "cpu", cpu, "kvm", kvm, "kernel", c->kernel,
			 "cpus", (int)c->nr_cpus, "fingerprint", c->fingerprint);
}

void sel_host_print(FILE *f, const struct host_caps *c)
{
	if (c->cpuid_ok) {
		fprintf(f, "cpu:        %s (%s)\n", c->brand, c->vendor);
		fprintf(f, "            family %d model %d stepping %d, %u logical CPUs\n", c->family,
			c->model, c->stepping, c->nr_cpus);
		fprintf(f, "            VMX %s, SVM %s, NX %s, PAE %s\n", c->vmx ? "yes" : "no",
			c->svm ? "yes" : "no", c->nx ? "yes" : "no", c->pae ? "yes" : "no");
	} else {
		fprintf(f, "cpu:        not identified (libcpuid: %s)\n", cpuid_error());
	}
	if (c->hypervisor)
		fprintf(f, "hypervisor: present, signature \"%s\" (%s)\n", c->hv_sig, c->hv_vendor);
	else
		fprintf(f, "hypervisor: none visible\n");
	fprintf(f, "kernel:     Linux %s\n", c->kernel);
	if (c->kvm == HOST_KVM_OK) {
		fprintf(f, "kvm:        usable, API %d, module %s", c->kvm_api,
			c->kvm_module[0] ? c->kvm_module : "unknown");
		if (c->kvm_ept >= 0)
			fprintf(f, ", two-dimensional paging %s", c->kvm_ept ? "on" : "off");
		fprintf(f, "\n            capabilities:");
		for (unsigned i = 0; i < c->nr_kvm_caps; i++)
			fprintf(f, "%s %s=%d", i % 5 == 4 ? "\n                         " : "",
				c->kvm_cap[i].name, c->kvm_cap[i].value);
		fprintf(f, "\n");
	} else {
		fprintf(f, "kvm:        %s: %s\n", sel_kvm_state_name(c->kvm), c->kvm_why);
	}
	fprintf(f, "fingerprint: %s\n", c->fingerprint);
}

/* guests/work/compute_kern_user.c: the compute kernels (compute.h). Ring-3
 * code in the guest (a _user object), and compiled into the host generator
 * as is. */
#include "compute.h"

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void crc_table(uint32_t t[256])
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		t[i] = c;
	}
}

static uint32_t crc32_buf(const uint8_t *p, size_t n)
{
	uint32_t t[256];
	uint32_t c = 0xffffffffu;

	crc_table(t);
	for (size_t i = 0; i < n; i++)
		c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t sieve(uint8_t *s, uint32_t n)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < n; i++)
		s[i] = i >= 2;
	for (uint32_t i = 2; (uint64_t)i * i < n; i++)
		if (s[i])
			for (uint32_t j = i * i; j < n; j += i)
				s[j] = 0;
	for (uint32_t i = 0; i < n; i++)
		count += s[i];
	return count;
}

static void sift_down(uint32_t *a, uint32_t root, uint32_t n)
{
	for (;;) {
		uint32_t child = 2 * root + 1;
		uint32_t t;

		if (child >= n)
			return;
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

static void heap_sort(uint32_t *a, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (uint32_t end = n; end-- > 1;) {
		uint32_t t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

size_t compute_scratch_size(const struct compute_sizes *sz)
{
	return (size_t)sz->crc_bytes + sz->sieve_n + 4 * (size_t)sz->sort_n;
}

void compute_pass(const struct compute_sizes *sz, void *scratch, struct compute_result *r)
{
	uint8_t *buf = scratch;
	uint8_t *sv = buf + sz->crc_bytes;
	uint32_t *arr = (uint32_t *)(sv + sz->sieve_n);
	uint32_t seed = 0x2545f491u;

	for (uint32_t i = 0; i < sz->crc_bytes; i++)
		buf[i] = (uint8_t)(xorshift32(&seed) >> 24);
	r->crc = crc32_buf(buf, sz->crc_bytes);
	r->primes = sieve(sv, sz->sieve_n);
	for (uint32_t i = 0; i < sz->sort_n; i++)
		arr[i] = xorshift32(&seed);
	heap_sort(arr, sz->sort_n);
	r->sorted = 1;
	r->sort_sum = 0;
	for (uint32_t i = 0; i < sz->sort_n; i++) {
		if (i && arr[i - 1] > arr[i])
			r->sorted = 0;
		r->sort_sum += arr[i] * (i + 1);
	}
}

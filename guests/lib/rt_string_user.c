/* guests/lib/rt_string_user.c: the freestanding string functions. GCC may
 * emit calls to memset/memcpy/memmove/memcmp itself, also in ring-3 code,
 * so this file is a _user object (user-accessible text, guest.ld). The
 * rep-string forms are the ones real kernels use (SDM 2B REP/MOVS/STOS). */
#include "rt.h"

/* Whole words first (an emulator that steps "rep stos" pays per
 * iteration, whatever the size), then the tail bytes. */
void *memset(void *d, int c, size_t n)
{
	ulong v = (uint8_t)c * (~0ul / 0xff);
	size_t words = n / sizeof(ulong), tail = n % sizeof(ulong);
	void *p = d;

#ifdef __x86_64__
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(words) : "a"(v) : "memory");
#else
	__asm__ volatile("rep stosl" : "+D"(p), "+c"(words) : "a"(v) : "memory");
#endif
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(tail) : "a"(v) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	size_t words = n / sizeof(ulong), tail = n % sizeof(ulong);
	void *p = d;

#ifdef __x86_64__
	__asm__ volatile("rep movsq" : "+D"(p), "+S"(s), "+c"(words) : : "memory");
#else
	__asm__ volatile("rep movsl" : "+D"(p), "+S"(s), "+c"(words) : : "memory");
#endif
	__asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(tail) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	/* Overlapping, destination above: copy backwards with DF=1. */
	dp += n - 1;
	sp += n - 1;
	__asm__ volatile("std; rep movsb; cld" : "+D"(dp), "+S"(sp), "+c"(n) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
		if (!a[i])
			return 0;
	}
	return 0;
}

/* guests/lib/rt_printf.c: the printf subset (see rt.h): %d %i %u %x %X %p
 * %s %c %%, flags '0' '-' '#', a width, length modifiers l ll z. One
 * formatter writes into a small buffer that is flushed to the console or
 * copied into the caller's string. */
#include "rt.h"

struct sink {
	char *buf;
	size_t len, pos; /* pos counts every char, even those that did not fit */
	bool console;
	size_t flushed;	 /* console: chars already written out */
};

static void sink_put(struct sink *s, char c)
{
	if (s->console && s->pos == s->len) {
		con_write(s->buf, s->len);
		s->flushed += s->len;
		s->pos = 0;
	}
	if (s->pos < s->len)
		s->buf[s->pos] = c;
	s->pos++;
}

struct spec {
	bool zero, left, alt;
	int width;
	int lng; /* 0, 1 (l/z), 2 (ll) */
};

static void put_padded(struct sink *s, const char *str, size_t n, const struct spec *sp)
{
	size_t pad = sp->width > 0 && (size_t)sp->width > n ? (size_t)sp->width - n : 0;

	if (!sp->left)
		for (size_t i = 0; i < pad; i++)
			sink_put(s, ' ');
	for (size_t i = 0; i < n; i++)
		sink_put(s, str[i]);
	if (sp->left)
		for (size_t i = 0; i < pad; i++)
			sink_put(s, ' ');
}

static void put_num(struct sink *s, uint64_t v, bool neg, unsigned base, bool upper,
		    const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[28];
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->zero && !sp->left) {
		int extra = (neg ? 1 : 0) + (sp->alt ? 2 : 0);
		while (n + extra < sp->width && n < (int)sizeof(tmp) - 3)
			tmp[n++] = '0';
	}
	if (sp->alt) {
		tmp[n++] = upper ? 'X' : 'x';
		tmp[n++] = '0';
	}
	if (neg)
		tmp[n++] = '-';
	for (int i = 0; i < n / 2; i++) {
		char c = tmp[i];
		tmp[i] = tmp[n - 1 - i];
		tmp[n - 1 - i] = c;
	}
	put_padded(s, tmp, (size_t)n, sp);
}

static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '0')
			sp->zero = true;
		else if (*f == '-')
			sp->left = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z') {
		sp->lng++;
		f++;
	}
	return f;
}

static uint64_t arg_unsigned(va_list *ap, int lng)
{
	if (lng >= 2)
		return va_arg(*ap, unsigned long long);
	if (lng == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int lng)
{
	if (lng >= 2)
		return va_arg(*ap, long long);
	if (lng == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void format_one(struct sink *s, char conv, struct spec *sp, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(ap, sp->lng);
		put_num(s, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, sp);
		break;
	}
	case 'u':
		put_num(s, arg_unsigned(ap, sp->lng), false, 10, false, sp);
		break;
	case 'x':
	case 'X':
		put_num(s, arg_unsigned(ap, sp->lng), false, 16, conv == 'X', sp);
		break;
	case 'p':
		sp->alt = true;
		put_num(s, (ulong)va_arg(*ap, void *), false, 16, false, sp);
		break;
	case 's': {
		const char *str = va_arg(*ap, const char *);
		if (!str)
			str = "(null)";
		put_padded(s, str, strlen(str), sp);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);
		put_padded(s, &c, 1, sp);
		break;
	}
	default:
		sink_put(s, '%');
		sink_put(s, conv);
	}
}

static void format(struct sink *s, const char *f, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	while (*f) {
		struct spec sp;

		if (*f != '%') {
			sink_put(s, *f++);
			continue;
		}
		f = parse_spec(f + 1, &sp);
		if (!*f)
			break;
		if (*f == '%')
			sink_put(s, '%');
		else
			format_one(s, *f, &sp, &aq);
		f++;
	}
	va_end(aq);
}

int kvprintf(const char *fmt, va_list ap)
{
	char buf[128];
	struct sink s = { buf, sizeof(buf), 0, true, 0 };

	format(&s, fmt, ap);
	con_write(buf, s.pos);
	return (int)(s.flushed + s.pos);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

int ksnprintf(char *buf, size_t len, const char *fmt, ...)
{
	struct sink s = { buf, len ? len - 1 : 0, 0, false, 0 };
	va_list ap;

	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (len)
		buf[s.pos < len - 1 ? s.pos : len - 1] = '\0';
	return (int)s.pos;
}

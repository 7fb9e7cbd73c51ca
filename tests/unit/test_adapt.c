/* test_adapt.c: sel_adapt_predict(), the adaptive policy's judgement of a
 * window measured on one engine, on a fake calibration shaped like this
 * project's hosts: bt pays for code (translation) and little per event, pv
 * runs code natively and pays a host signal round trip per event. */
#include "tests/unit/util.h"

#include <errno.h>
#include <string.h>

#include "vmm/select/select.h"

/*                         ring0 ring3 exit   pf     pte    syscall */
static const double bt[] = { 1.0, 0.20, 20, 3500, 290, 270 };
static const double pv[] = { 1.0, 0.14, 9500, 18000, 12500, 11500 };

static void calib(struct sel_calib *c)
{
	memset(c, 0, sizeof(*c));
	const double *costs[2] = { bt, pv };
	const char *names[2] = { "bt", "pv" };
	for (unsigned e = 0; e < 2; e++) {
		snprintf(c->e[e].name, sizeof(c->e[e].name), "%s", names[e]);
		for (unsigned t = 0; t < SEL_COST_NR; t++) {
			c->e[e].ns[0][t] = costs[e][t];
			c->e[e].ns[1][t] = -1; /* 64-bit: not calibrated */
		}
	}
	c->n = 2;
}

static void test_adapt_pure_user_code_is_predicted_at_the_ring3_ratio(void **state)
{
	struct sel_calib c;
	calib(&c);
	struct sel_window w = { .busy_ms = 10 };
	struct sel_verdict v;
	assert_int_equal(sel_adapt_predict(&c, 32, "bt", "pv", &w, &v), 0);
	assert_true(v.ratio > 0.69 && v.ratio < 0.71); /* 0.14 / 0.20 */
	assert_true(v.ratio <= SEL_ADAPT_GAIN);
	assert_non_null(strstr(v.why, "pv predicted 0.70x"));
}

static void test_adapt_system_calls_make_pv_far_dearer(void **state)
{
	struct sel_calib c;
	calib(&c);
	/* 20 000 int 0x80 in 10 ms: 5.4 ms of them on bt, 230 ms on pv */
	struct sel_window w = { .busy_ms = 10, .syscalls = 20000 };
	struct sel_verdict v;
	assert_int_equal(sel_adapt_predict(&c, 32, "bt", "pv", &w, &v), 0);
	assert_true(v.ratio > 20);
	assert_true(v.to_ms > 230 && v.to_ms < 235);
}

static void test_adapt_a_few_events_do_not_outweigh_faster_code(void **state)
{
	struct sel_calib c;
	calib(&c);
	/* a timer tick and its EOI per ms: 10 interrupts and 20 exits */
	struct sel_window w = { .busy_ms = 10, .interrupts = 10, .exits = 20 };
	struct sel_verdict v;
	assert_int_equal(sel_adapt_predict(&c, 32, "bt", "pv", &w, &v), 0);
	assert_true(v.ratio < SEL_ADAPT_GAIN);
	/* ... but 200 exceptions do (3.6 ms on pv, 0.7 ms on bt) */
	w.exceptions = 200;
	assert_int_equal(sel_adapt_predict(&c, 32, "bt", "pv", &w, &v), 0);
	assert_true(v.ratio > 1);
}

static void test_adapt_events_dearer_than_the_window_leave_no_code_time(void **state)
{
	struct sel_calib c;
	calib(&c);
	/* the calibration overestimates: 5000 faults x 3.5 us > 10 ms busy */
	struct sel_window w = { .busy_ms = 10, .exceptions = 5000 };
	struct sel_verdict v;
	assert_int_equal(sel_adapt_predict(&c, 32, "bt", "pv", &w, &v), 0);
	assert_true(v.to_ms > 89.9 && v.to_ms < 90.1); /* events only: 5000 x 18 us */
	assert_non_null(strstr(v.why, "code 0.0 ms"));
}

static void test_adapt_needs_both_engines_calibrated_for_the_width(void **state)
{
	struct sel_calib c;
	calib(&c);
	struct sel_window w = { .busy_ms = 10 };
	struct sel_verdict v;
	assert_int_equal(sel_adapt_predict(&c, 64, "bt", "pv", &w, &v), -ENOENT);
	assert_int_equal(sel_adapt_predict(&c, 32, "bt", "hw", &w, &v), -ENOENT);
	assert_non_null(strstr(v.why, "hw is not calibrated"));
	assert_int_equal(sel_adapt_predict(NULL, 32, "bt", "pv", &w, &v), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapt_pure_user_code_is_predicted_at_the_ring3_ratio),
		cmocka_unit_test(test_adapt_system_calls_make_pv_far_dearer),
		cmocka_unit_test(test_adapt_a_few_events_do_not_outweigh_faster_code),
		cmocka_unit_test(test_adapt_events_dearer_than_the_window_leave_no_code_time),
		cmocka_unit_test(test_adapt_needs_both_engines_calibrated_for_the_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* mon_qmp.h: the QMP front end's private interface: the wire side
 * (mon_qmp.c) and the commands and event shapes (mon_qmp_cmd.c). */
#ifndef MONITOR_MON_QMP_H
#define MONITOR_MON_QMP_H

#include <jansson.h>
#include <stdarg.h>

#include "monitor/mon_internal.h"

/* Send (j) (consumed) as one line. */
void qmp_send(int fd, json_t *j);
/* {"error": {"class": CLS, "desc": ...}} */
json_t *qmp_error(const char *cls, const char *fmt, ...) VMM_PRINTF(2, 3);
/* Run command (cmd) with (args) (an object or NULL): the reply object. */
json_t *qmp_execute(struct mon *m, const char *cmd, json_t *args);
/* The event's QMP name ("STOP") or NULL if QMP has none, and its data. */
const char *qmp_event_name(const struct vm_event *ev);
json_t *qmp_event_data(struct mon *m, const struct vm_event *ev);

#endif

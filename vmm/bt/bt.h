/* bt.h: the bt engine (dynamic binary translation of 32-bit x86 guests on
 * x86-64 hosts, with a reference interpreter). docs/bt.md describes it. */
#ifndef VMM_BT_BT_H
#define VMM_BT_BT_H

#include "vmm/core/engine.h"

extern const struct engine_ops bt_engine_ops;

#endif

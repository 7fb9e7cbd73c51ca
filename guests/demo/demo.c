#include "rt.h"
int guest_main(void) { return 0; }

#include "st.h"
void st_string(void) {}
void st_bits(void) {}
void st_stack(void) {}
void st_ctl(void) {}
void st_exc(void) {}
void st_ring(void) {}
void st_paging(void) {}
void st_sse(void) {}

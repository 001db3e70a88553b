/* Host reference for fp.c: prints to stdout what the guest prints to port 0xE9. */
#include <stdio.h>
int fp_main(void);
void put(const char *s) { fputs(s, stdout); }
int main(void) { return fp_main(); }

/* Host reference for simd.c: prints to stdout what the guest prints to port 0xE9. */
#include <stdio.h>
void simd_main(void);
void put(const char *s) { fputs(s, stdout); }
int main(void) {
  simd_main();
  return 0;
}

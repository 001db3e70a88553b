/* Host reference: prints work(seed) for the seeds the test uses. */
#include <stdio.h>
unsigned int work(unsigned int seed);
int main(void) {
  unsigned int seeds[] = {1, 2, 3, 42, 1000, 0xdeadbeef, 0x80000000u, 123456789};
  for (unsigned i = 0; i < sizeof seeds / sizeof seeds[0]; i++) printf("%u %u\n", seeds[i], work(seeds[i]));
  return 0;
}

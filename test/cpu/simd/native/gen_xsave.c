/*
 * Records FXSAVE/XSAVE images from the host CPU (x86-64) for ../xsave-layout.test.ts.
 *
 * Scenario "loaded": FXRSTOR64 a known image A (x87 registers and control words, MXCSR,
 * XMM0-15; FIP/FDP/FOP zero, because AMD CPUs store them only while an x87 exception is
 * pending), then FXSAVE64, FXSAVE, XSAVE, XSAVEOPT, XSAVEC (RFBM = EDX:EAX = 3) into buffers
 * prefilled with 0xAA. Scenario "init": XRSTOR of an all-zero header (every component to its
 * initial configuration), LDMXCSR 0x1F81, then XSAVE, XSAVEOPT, XSAVEC. Scenario "restore":
 * XRSTOR (standard, then compacted) of image A extended with a header, then FXSAVE64.
 *
 * Build and run: gcc -O1 -o /tmp/gen_xsave gen_xsave.c && /tmp/gen_xsave > xsave.txt
 * Output: one line per image, "name hex" (the bytes the test compares, 576 of each area).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint8_t __attribute__((aligned(64))) img[1024], out[1024];

static void put(const char *name, const uint8_t *b, int n) {
  printf("%s ", name);
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

static void image_a(void) {
  memset(img, 0, sizeof img);
  uint16_t fcw = 0x027f, fsw = 0x3800 | 0x0020; /* TOP = 7, PE flag */
  memcpy(img + 0, &fcw, 2);
  memcpy(img + 2, &fsw, 2);
  img[4] = 0x83; /* abridged tag: registers 0, 1, 7 in use */
  uint32_t mx = 0x1fa0 | 0x6000; /* RC = toward zero, PE */
  memcpy(img + 24, &mx, 4);
  for (int r = 0; r < 8; r++) {
    uint8_t *p = img + 32 + 16 * r;
    for (int k = 0; k < 10; k++) p[k] = (uint8_t)(0x11 * (r + 1) + 7 * k);
    p[7] |= 0x80; /* explicit integer bit: a normal value */
    p[9] = 0x40;
  }
  for (int i = 0; i < 256; i++) img[160 + i] = (uint8_t)(i * 37 + 5);
}

int main(void) {
  image_a();
  put("A", img, 512);
  /* One asm statement: compiled C code between statements may use the XMM registers. */
  static uint8_t __attribute__((aligned(64))) o[5][1024];
  memset(o, 0xaa, sizeof o);
  asm volatile("fxrstor64 %5; fxsave64 %0; fxsave %1; xsave %2; xsaveopt %3; xsavec %4"
               : "=m"(o[0]), "=m"(o[1]), "=m"(o[2]), "=m"(o[3]), "=m"(o[4])
               : "m"(img), "a"(3), "d"(0)
               : "memory");
  put("loaded.fxsave64", o[0], 576);
  put("loaded.fxsave", o[1], 576);
  put("loaded.xsave", o[2], 576);
  put("loaded.xsaveopt", o[3], 576);
  put("loaded.xsavec", o[4], 576);

  static uint8_t __attribute__((aligned(64))) zero[1024];
  memset(zero, 0, sizeof zero);
  uint32_t m = 0x1f81;
  memset(out, 0xaa, sizeof out);
  asm volatile("xrstor %1; ldmxcsr %2; xsave %0" ::"m"(out), "m"(zero), "m"(m), "a"(3), "d"(0) : "memory");
  put("init.xsave", out, 576);
  memset(out, 0xaa, sizeof out);
  asm volatile("xrstor %1; ldmxcsr %2; xsaveopt %0" ::"m"(out), "m"(zero), "m"(m), "a"(3), "d"(0) : "memory");
  put("init.xsaveopt", out, 576);
  memset(out, 0xaa, sizeof out);
  asm volatile("xrstor %1; ldmxcsr %2; xsavec %0" ::"m"(out), "m"(zero), "m"(m), "a"(3), "d"(0) : "memory");
  put("init.xsavec", out, 576);

  /* XRSTOR of image A with XSTATE_BV = 3, standard form, then compacted form (XCOMP_BV = 2^63|3). */
  img[512] = 3;
  memset(out, 0xaa, sizeof out);
  asm volatile("xrstor %1; fxsave64 %0" ::"m"(out), "m"(img), "a"(3), "d"(0) : "memory");
  put("restore.standard", out, 576);
  img[520] = 3;
  img[527] = 0x80;
  memset(out, 0xaa, sizeof out);
  asm volatile("xrstor %1; fxsave64 %0" ::"m"(out), "m"(img), "a"(3), "d"(0) : "memory");
  put("restore.compacted", out, 576);
  /* XSTATE_BV = 2 (x87 initialised), RFBM = 3. */
  img[512] = 2;
  memset(out, 0xaa, sizeof out);
  asm volatile("xrstor %1; fxsave64 %0" ::"m"(out), "m"(img), "a"(3), "d"(0) : "memory");
  put("restore.compacted-sse-only", out, 576);
  return 0;
}

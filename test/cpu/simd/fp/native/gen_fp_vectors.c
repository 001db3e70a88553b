/*
 * Records SSE/SSE2/SSE3/SSE4.1 floating-point results from the host CPU as test vectors
 * for src/runtime/cpu/simd/fp (replayed by ../fp-vectors.test.ts, which needs no compiler).
 *
 * Each vector runs one instruction natively with xmm0 = A (destination / first source),
 * xmm1 = B (second source; mm0/mm1 for the MMX forms, rax for integer sources) and MXCSR
 * preset, then records xmm0 (or the integer destination), MXCSR and RFLAGS. When an
 * unmasked exception raises #XM (SIGFPE), the handler records MXCSR and xmm0 as the CPU
 * left them at the fault (the destination must be unchanged) and the line ends in "T".
 *
 * Build and run (x86-64 Linux, gcc):
 *   gcc -O1 -mno-red-zone -msse4.1 -o /tmp/gen_fp gen_fp_vectors.c && /tmp/gen_fp | gzip -9n > fp-vectors.txt.gz
 * Line: name mxcsr A B X -> R mxcsr' rflags [T]   (hex; A B R 128-bit as 4 little-endian
 * 32-bit words high first; X the 64-bit integer source; R the 128-bit/64-bit result)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

typedef struct {
  uint32_t a[4];     /* 0 */
  uint32_t b[4];     /* 16 */
  uint32_t mxcsr;    /* 32 */
  uint32_t mxout;    /* 36 */
  uint64_t x;        /* 40 */
  uint32_t r[4];     /* 48 */
  uint64_t gout;     /* 64 */
  uint64_t rflags;   /* 72 */
} io_t;

#define PRE "movups (%0), %%xmm0\n movups 16(%0), %%xmm1\n mov 40(%0), %%rax\n ldmxcsr 32(%0)\n"
#define POST "\n stmxcsr 36(%0)\n movups %%xmm0, 48(%0)\n"
#define CLOB : : "r"(io) : "xmm0", "xmm1", "rax", "memory", "cc"
/* xmm0 = xmm0 op xmm1 */
#define XX(name, insn) static void f_##name(io_t *io) { __asm__ volatile(PRE insn POST CLOB); }
/* integer destination in rax */
#define XG(name, insn) static void f_##name(io_t *io) { __asm__ volatile(PRE "xor %%eax, %%eax\n" insn "\n mov %%rax, 64(%0)" POST CLOB); }
/* RFLAGS result */
#define XF(name, insn) static void f_##name(io_t *io) { __asm__ volatile(PRE insn "\n pushfq\n pop %%rax\n mov %%rax, 72(%0)" POST CLOB); }
/* MMX source mm1 = low 64 bits of B */
#define XMS(name, insn) static void f_##name(io_t *io) { __asm__ volatile(PRE "movq 16(%0), %%mm1\n" insn POST "emms\n" : : "r"(io) : "xmm0", "xmm1", "rax", "mm1", "memory", "cc"); }
/* MMX destination mm0 (stored to 64(%0)) */
#define XMD(name, insn) static void f_##name(io_t *io) { __asm__ volatile(PRE "pxor %%mm0, %%mm0\n" insn "\n movq %%mm0, 64(%0)" POST "emms\n" : : "r"(io) : "xmm0", "xmm1", "rax", "mm0", "memory", "cc"); }

#define ARITH(op) XX(op##ps, #op "ps %%xmm1, %%xmm0") XX(op##pd, #op "pd %%xmm1, %%xmm0") \
  XX(op##ss, #op "ss %%xmm1, %%xmm0") XX(op##sd, #op "sd %%xmm1, %%xmm0")
ARITH(add) ARITH(sub) ARITH(mul) ARITH(div) ARITH(min) ARITH(max) ARITH(sqrt)
#define CMP(p) XX(cmpps_##p, "cmpps $" #p ", %%xmm1, %%xmm0") XX(cmppd_##p, "cmppd $" #p ", %%xmm1, %%xmm0") \
  XX(cmpss_##p, "cmpss $" #p ", %%xmm1, %%xmm0") XX(cmpsd_##p, "cmpsd $" #p ", %%xmm1, %%xmm0")
CMP(0) CMP(1) CMP(2) CMP(3) CMP(4) CMP(5) CMP(6) CMP(7)
XF(comiss, "comiss %%xmm1, %%xmm0") XF(ucomiss, "ucomiss %%xmm1, %%xmm0")
XF(comisd, "comisd %%xmm1, %%xmm0") XF(ucomisd, "ucomisd %%xmm1, %%xmm0")
#define ROUND(i) XX(roundps_##i, "roundps $" #i ", %%xmm1, %%xmm0") XX(roundpd_##i, "roundpd $" #i ", %%xmm1, %%xmm0") \
  XX(roundss_##i, "roundss $" #i ", %%xmm1, %%xmm0") XX(roundsd_##i, "roundsd $" #i ", %%xmm1, %%xmm0")
ROUND(0) ROUND(1) ROUND(2) ROUND(3) ROUND(4) ROUND(5) ROUND(6) ROUND(7)
ROUND(8) ROUND(9) ROUND(10) ROUND(11) ROUND(12) ROUND(13) ROUND(14) ROUND(15)
#define DPPS(i) XX(dpps_##i, "dpps $" #i ", %%xmm1, %%xmm0")
#define DPPD(i) XX(dppd_##i, "dppd $" #i ", %%xmm1, %%xmm0")
DPPS(0xff) DPPS(0xf1) DPPS(0x3c) DPPS(0x55) DPPS(0xa3) DPPS(0x0f) DPPD(0x33) DPPD(0x31) DPPD(0x12) DPPD(0x23)
XX(haddps, "haddps %%xmm1, %%xmm0") XX(hsubps, "hsubps %%xmm1, %%xmm0")
XX(haddpd, "haddpd %%xmm1, %%xmm0") XX(hsubpd, "hsubpd %%xmm1, %%xmm0")
XX(addsubps, "addsubps %%xmm1, %%xmm0") XX(addsubpd, "addsubpd %%xmm1, %%xmm0")
XX(rcpps, "rcpps %%xmm1, %%xmm0") XX(rcpss, "rcpss %%xmm1, %%xmm0")
XX(rsqrtps, "rsqrtps %%xmm1, %%xmm0") XX(rsqrtss, "rsqrtss %%xmm1, %%xmm0")
XX(cvtsi2ss32, "cvtsi2ss %%eax, %%xmm0") XX(cvtsi2ss64, "cvtsi2ss %%rax, %%xmm0")
XX(cvtsi2sd32, "cvtsi2sd %%eax, %%xmm0") XX(cvtsi2sd64, "cvtsi2sd %%rax, %%xmm0")
XG(cvtss2si32, "cvtss2si %%xmm1, %%eax") XG(cvtss2si64, "cvtss2si %%xmm1, %%rax")
XG(cvttss2si32, "cvttss2si %%xmm1, %%eax") XG(cvttss2si64, "cvttss2si %%xmm1, %%rax")
XG(cvtsd2si32, "cvtsd2si %%xmm1, %%eax") XG(cvtsd2si64, "cvtsd2si %%xmm1, %%rax")
XG(cvttsd2si32, "cvttsd2si %%xmm1, %%eax") XG(cvttsd2si64, "cvttsd2si %%xmm1, %%rax")
XX(cvtps2pd, "cvtps2pd %%xmm1, %%xmm0") XX(cvtpd2ps, "cvtpd2ps %%xmm1, %%xmm0")
XX(cvtss2sd, "cvtss2sd %%xmm1, %%xmm0") XX(cvtsd2ss, "cvtsd2ss %%xmm1, %%xmm0")
XX(cvtdq2ps, "cvtdq2ps %%xmm1, %%xmm0") XX(cvtps2dq, "cvtps2dq %%xmm1, %%xmm0")
XX(cvttps2dq, "cvttps2dq %%xmm1, %%xmm0") XX(cvtdq2pd, "cvtdq2pd %%xmm1, %%xmm0")
XX(cvtpd2dq, "cvtpd2dq %%xmm1, %%xmm0") XX(cvttpd2dq, "cvttpd2dq %%xmm1, %%xmm0")
XMS(cvtpi2ps, "cvtpi2ps %%mm1, %%xmm0") XMS(cvtpi2pd, "cvtpi2pd %%mm1, %%xmm0")
XMD(cvtps2pi, "cvtps2pi %%xmm1, %%mm0") XMD(cvttps2pi, "cvttps2pi %%xmm1, %%mm0")
XMD(cvtpd2pi, "cvtpd2pi %%xmm1, %%mm0") XMD(cvttpd2pi, "cvttpd2pi %%xmm1, %%mm0")

/* Operand kinds: which lane format the generator fills A/B with. */
enum { K_F32, K_F64, K_I32, K_I64 };
typedef struct { const char *name; void (*fn)(io_t *); int ka, kb, count; } insn_t;

#define A4(op, n) {#op "ps", f_##op##ps, K_F32, K_F32, n}, {#op "pd", f_##op##pd, K_F64, K_F64, n}, \
  {#op "ss", f_##op##ss, K_F32, K_F32, n}, {#op "sd", f_##op##sd, K_F64, K_F64, n}
#define C4(p) {"cmpps_" #p, f_cmpps_##p, K_F32, K_F32, 60}, {"cmppd_" #p, f_cmppd_##p, K_F64, K_F64, 60}, \
  {"cmpss_" #p, f_cmpss_##p, K_F32, K_F32, 40}, {"cmpsd_" #p, f_cmpsd_##p, K_F64, K_F64, 40}
#define R4(i) {"roundps_" #i, f_roundps_##i, K_F32, K_F32, 40}, {"roundpd_" #i, f_roundpd_##i, K_F64, K_F64, 40}, \
  {"roundss_" #i, f_roundss_##i, K_F32, K_F32, 20}, {"roundsd_" #i, f_roundsd_##i, K_F64, K_F64, 20}

static const insn_t insns[] = {
  A4(add, 700), A4(sub, 400), A4(mul, 700), A4(div, 700), A4(min, 150), A4(max, 150), A4(sqrt, 500),
  C4(0), C4(1), C4(2), C4(3), C4(4), C4(5), C4(6), C4(7),
  {"comiss", f_comiss, K_F32, K_F32, 150}, {"ucomiss", f_ucomiss, K_F32, K_F32, 150},
  {"comisd", f_comisd, K_F64, K_F64, 150}, {"ucomisd", f_ucomisd, K_F64, K_F64, 150},
  R4(0), R4(1), R4(2), R4(3), R4(4), R4(5), R4(6), R4(7),
  R4(8), R4(9), R4(10), R4(11), R4(12), R4(13), R4(14), R4(15),
  {"dpps_0xff", f_dpps_0xff, K_F32, K_F32, 200}, {"dpps_0xf1", f_dpps_0xf1, K_F32, K_F32, 100},
  {"dpps_0x3c", f_dpps_0x3c, K_F32, K_F32, 100}, {"dpps_0x55", f_dpps_0x55, K_F32, K_F32, 100},
  {"dpps_0xa3", f_dpps_0xa3, K_F32, K_F32, 100}, {"dpps_0x0f", f_dpps_0x0f, K_F32, K_F32, 30},
  {"dppd_0x33", f_dppd_0x33, K_F64, K_F64, 200}, {"dppd_0x31", f_dppd_0x31, K_F64, K_F64, 100},
  {"dppd_0x12", f_dppd_0x12, K_F64, K_F64, 100}, {"dppd_0x23", f_dppd_0x23, K_F64, K_F64, 100},
  {"haddps", f_haddps, K_F32, K_F32, 300}, {"hsubps", f_hsubps, K_F32, K_F32, 300},
  {"haddpd", f_haddpd, K_F64, K_F64, 300}, {"hsubpd", f_hsubpd, K_F64, K_F64, 300},
  {"addsubps", f_addsubps, K_F32, K_F32, 300}, {"addsubpd", f_addsubpd, K_F64, K_F64, 300},
  {"rcpps", f_rcpps, K_F32, K_F32, 300}, {"rcpss", f_rcpss, K_F32, K_F32, 100},
  {"rsqrtps", f_rsqrtps, K_F32, K_F32, 300}, {"rsqrtss", f_rsqrtss, K_F32, K_F32, 100},
  {"cvtsi2ss32", f_cvtsi2ss32, K_F32, K_I32, 300}, {"cvtsi2ss64", f_cvtsi2ss64, K_F32, K_I64, 400},
  {"cvtsi2sd32", f_cvtsi2sd32, K_F64, K_I32, 100}, {"cvtsi2sd64", f_cvtsi2sd64, K_F64, K_I64, 400},
  {"cvtss2si32", f_cvtss2si32, K_F32, K_F32, 300}, {"cvtss2si64", f_cvtss2si64, K_F32, K_F32, 300},
  {"cvttss2si32", f_cvttss2si32, K_F32, K_F32, 300}, {"cvttss2si64", f_cvttss2si64, K_F32, K_F32, 300},
  {"cvtsd2si32", f_cvtsd2si32, K_F64, K_F64, 300}, {"cvtsd2si64", f_cvtsd2si64, K_F64, K_F64, 300},
  {"cvttsd2si32", f_cvttsd2si32, K_F64, K_F64, 300}, {"cvttsd2si64", f_cvttsd2si64, K_F64, K_F64, 300},
  {"cvtps2pd", f_cvtps2pd, K_F32, K_F32, 300}, {"cvtpd2ps", f_cvtpd2ps, K_F64, K_F64, 500},
  {"cvtss2sd", f_cvtss2sd, K_F64, K_F32, 200}, {"cvtsd2ss", f_cvtsd2ss, K_F32, K_F64, 400},
  {"cvtdq2ps", f_cvtdq2ps, K_F32, K_I32, 300}, {"cvtps2dq", f_cvtps2dq, K_F32, K_F32, 300},
  {"cvttps2dq", f_cvttps2dq, K_F32, K_F32, 300}, {"cvtdq2pd", f_cvtdq2pd, K_F64, K_I32, 100},
  {"cvtpd2dq", f_cvtpd2dq, K_F64, K_F64, 300}, {"cvttpd2dq", f_cvttpd2dq, K_F64, K_F64, 300},
  {"cvtpi2ps", f_cvtpi2ps, K_F32, K_I32, 200}, {"cvtpi2pd", f_cvtpi2pd, K_F64, K_I32, 60},
  {"cvtps2pi", f_cvtps2pi, K_F32, K_F32, 200}, {"cvttps2pi", f_cvttps2pi, K_F32, K_F32, 200},
  {"cvtpd2pi", f_cvtpd2pi, K_F64, K_F64, 200}, {"cvttpd2pi", f_cvttpd2pi, K_F64, K_F64, 200},
};

/* xorshift64* for reproducible operands */
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { rs ^= rs >> 12; rs ^= rs << 25; rs ^= rs >> 27; return rs * 2685821657736338717ull; }
static int chance(int pct) { return (int)(rnd() % 100) < pct; }

static uint32_t f32_edge(void) {
  static const uint32_t e[] = {0, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
    0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xffa00000,
    0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000, 0x4f000000, 0xcf000000,
    0x4effffff, 0xcf000001, 0x5f000000, 0xdf000000, 0x5effffff, 0xdf000001, 0x3effffff, 0x3f7fffff,
    0x00800001, 0x007fffff, 0x7f000000, 0x34000000, 0x33800000, 0x4b000000, 0x4b7fffff, 0xcb400001};
  return e[rnd() % (sizeof e / sizeof e[0])];
}
static uint32_t f32_any(void) {
  int r = (int)(rnd() % 100);
  uint32_t s = (uint32_t)(rnd() & 1) << 31;
  uint32_t f = (uint32_t)rnd() & 0x7fffff;
  if (r < 25) return f32_edge();
  if (r < 32) return s | f;                                              /* denormal */
  if (r < 36) return s | 0x7f800000 | (f ? f : 1);                       /* NaN */
  if (r < 48) return s | ((uint32_t)(1 + rnd() % 20) << 23) | f;         /* near underflow */
  if (r < 58) return s | ((uint32_t)(234 + rnd() % 21) << 23) | f;       /* near overflow */
  if (r < 72) return s | ((uint32_t)(120 + rnd() % 40) << 23) | (f & (rnd() & 1 ? 0x7f0000 : 0x7fffff)); /* ordinary */
  if (r < 80) return s | ((uint32_t)(127 + rnd() % 24) << 23) | (f & ~((1u << (rnd() % 23)) - 1)); /* near-integers */
  return s | ((uint32_t)(1 + rnd() % 254) << 23) | f;
}
static uint64_t f64_edge(void) {
  static const uint64_t e[] = {0, 0x8000000000000000ull, 1, 0x800fffffffffffffull, 0x0008000000000000ull,
    0x0010000000000000ull, 0x8010000000000000ull, 0x7fefffffffffffffull, 0xffefffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff0000000000001ull, 0xfff4000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x3fe0000000000000ull, 0x3ff8000000000000ull, 0x4004000000000000ull, 0xbff8000000000000ull,
    0x41e0000000000000ull, 0xc1e0000000000000ull, 0x41dfffffffffffffull, 0xc1e0000000200000ull,
    0x41dfffffffe00000ull, 0xc1e00000001fffffull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
    0x43dfffffffffffffull, 0xc3e0000000000001ull, 0x3fdfffffffffffffull, 0x3fefffffffffffffull,
    0x0010000000000001ull, 0x000fffffffffffffull, 0x3810000000000000ull, 0x380fffffffffffffull,
    0x36a0000000000000ull, 0x3690000000000000ull, 0x47efffffe0000000ull, 0x47efffffefffffffull,
    0x47efffffffffffffull, 0x47f0000000000000ull, 0x3c90000000000000ull, 0x4330000000000000ull};
  return e[rnd() % (sizeof e / sizeof e[0])];
}
static uint64_t f64_any(void) {
  int r = (int)(rnd() % 100);
  uint64_t s = (rnd() & 1) << 63;
  uint64_t f = rnd() & 0xfffffffffffffull;
  if (r < 25) return f64_edge();
  if (r < 32) return s | f;
  if (r < 36) return s | 0x7ff0000000000000ull | (f ? f : 1);
  if (r < 46) return s | ((1 + rnd() % 40) << 52) | f;                     /* near f64 underflow */
  if (r < 54) return s | ((2006 + rnd() % 41) << 52) | f;                  /* near f64 overflow */
  if (r < 62) return s | ((871 + rnd() % 30) << 52) | (f & ~((1ull << 29) - 1) & (rnd() & 1 ? ~0ull : 0xfffffffffffffull)) ; /* f32 underflow range */
  if (r < 68) return s | ((1136 + rnd() % 20) << 52) | f;                  /* f32 overflow range */
  if (r < 80) return s | ((1003 + rnd() % 40) << 52) | (f & (rnd() & 1 ? 0xff00000000000ull : ~0ull));
  if (r < 88) return s | ((1023 + rnd() % 53) << 52) | (f & ~((1ull << (rnd() % 52)) - 1));
  return s | ((1 + rnd() % 2046) << 52) | f;
}
static uint64_t i64_any(int bits) {
  static const uint64_t e[] = {0, 1, 0xffffffffffffffffull, 0x7fffffff, 0x80000000, 0xffffffff80000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x1000001, 0x1000003, 0xffffffffff000001ull,
    0x20000000000001ull, 0x20000000000003ull, 0x7ffffffffffffc01ull, 0x7fffff7fffffffffull};
  int r = (int)(rnd() % 100);
  uint64_t v;
  if (r < 25) v = e[rnd() % (sizeof e / sizeof e[0])];
  else if (r < 60) v = rnd() >> (rnd() % 64);
  else v = rnd();
  if (chance(50)) v = -v;
  return bits == 32 ? (uint64_t)(int64_t)(int32_t)v : v;
}

static void fill(uint32_t *w, int kind) {
  for (int i = 0; i < 4; i++) {
    if (kind == K_F32) w[i] = f32_any();
    else if (kind == K_I32) w[i] = (uint32_t)i64_any(32);
    else if (kind == K_F64 && !(i & 1)) { uint64_t v = f64_any(); w[i] = (uint32_t)v; w[i + 1] = (uint32_t)(v >> 32); }
    else if (kind == K_I64 && !(i & 1)) { uint64_t v = i64_any(64); w[i] = (uint32_t)v; w[i + 1] = (uint32_t)(v >> 32); }
  }
}

/* B lanes related to A lanes: equal, negated, nearby, or scaled to push a result to an edge. */
static void relate(io_t *io, int kind) {
  int w = kind == K_F64 ? 2 : 1;
  for (int i = 0; i < 4; i += w) {
    int r = (int)(rnd() % 100);
    if (r >= 40) continue;
    if (w == 1) {
      uint32_t a = io->a[i];
      if (r < 8) io->b[i] = a;
      else if (r < 16) io->b[i] = a ^ 0x80000000;
      else if (r < 28) io->b[i] = (a ^ (rnd() & 1 ? 0x80000000 : 0)) + (uint32_t)(rnd() % 5) - 2;
      else io->b[i] = (io->b[i] & 0x807fffff) | ((uint32_t)(rnd() % 40 + (rnd() & 1 ? 0 : 215) - ((a >> 23) & 0xff) + 127) & 0xff) << 23;
    } else {
      uint64_t a = io->a[i] | (uint64_t)io->a[i + 1] << 32, b = io->b[i] | (uint64_t)io->b[i + 1] << 32;
      if (r < 8) b = a;
      else if (r < 16) b = a ^ 0x8000000000000000ull;
      else if (r < 28) b = (a ^ (rnd() & 1 ? 0x8000000000000000ull : 0)) + rnd() % 5 - 2;
      else b = (b & 0x800fffffffffffffull) | ((rnd() % 80 + (rnd() & 1 ? 0 : 1966) - ((a >> 52) & 0x7ff) + 1023) & 0x7ff) << 52;
      io->b[i] = (uint32_t)b; io->b[i + 1] = (uint32_t)(b >> 32);
    }
  }
}


/*
 * Hard cases, a second pass over the rounded operations: results at the bottom of the
 * exponent range (subnormal, just below 2^emin, far below the smallest subnormal), exact
 * midpoints between neighbours (ties), cancellation into the subnormal range; FTZ and DAZ
 * mostly off so the subnormal results are delivered, every rounding mode.
 */
static uint64_t make(int f64, uint64_t sign, int64_t bexp, uint64_t frac) {
  if (f64) return sign << 63 | (uint64_t)(bexp & 0x7ff) << 52 | (frac & 0xfffffffffffffull);
  return sign << 31 | (uint64_t)(bexp & 0xff) << 23 | (frac & 0x7fffff);
}
static void hard_lane(const char *name, int f64, uint64_t *a, uint64_t *b) {
  int P = f64 ? 53 : 24, EMAXB = f64 ? 2046 : 254, BIAS = f64 ? 1023 : 127;
  uint64_t fm = f64 ? 0xfffffffffffffull : 0x7fffff;
  uint64_t fa = rnd() & fm, fb = rnd() & fm;
  if (chance(30)) { fa &= ~((1ull << (P - 1 - (int)(rnd() % 8))) - 1) | (1ull << (P - 2)); }
  int64_t t = 1 - (int64_t)(rnd() % (P + 4));       /* target biased exponent: 1 .. -(P+2) */
  if (!strncmp(name, "mul", 3)) {
    int64_t ea = 1 + (int64_t)(rnd() % EMAXB);
    int64_t eb = t - ea + BIAS;
    if (eb < 1 || eb > EMAXB) { eb = 1 + rnd() % 20; ea = t - eb + BIAS; }
    if (ea < 1 || ea > EMAXB) ea = 1;
    *a = make(f64, rnd() & 1, ea, fa);
    *b = make(f64, rnd() & 1, eb, fb);
  } else if (!strncmp(name, "div", 3)) {
    int64_t ea = 1 + (int64_t)(rnd() % 60);
    int64_t eb = ea - t + BIAS;
    if (eb > EMAXB) eb = EMAXB;
    *a = make(f64, rnd() & 1, ea, fa);
    *b = make(f64, rnd() & 1, eb, chance(50) ? fb : 0);
  } else if (chance(50)) {
    /* add/sub: a tie, b half an ulp of a (maybe with a sticky bit further down) */
    int64_t ea = 2 + (int64_t)(rnd() % (EMAXB - 2));
    int64_t eb = ea - P;
    *a = make(f64, rnd() & 1, ea, fa);
    if (eb >= 1) *b = make(f64, rnd() & 1, eb, chance(50) ? 0 : rnd() & 3);
    else *b = make(f64, rnd() & 1, 0, 1ull << (P - 2 + eb > 0 ? P - 2 + eb : 0));
  } else {
    /* add/sub: cancellation of two values near the smallest normal into the subnormals */
    int64_t ea = 1 + (int64_t)(rnd() % 3);
    *a = make(f64, 0, ea, fa);
    uint64_t d = rnd() % (chance(50) ? 16 : (1ull << (rnd() % (P - 1))));
    *b = make(f64, 1, ea, fa) - d;
    if (!strncmp(name, "sub", 3)) *b ^= f64 ? 1ull << 63 : 1ull << 31;
  }
}
static const char *hard_names[] = {"addps", "addpd", "addss", "addsd", "subps", "subpd", "subss", "subsd",
  "mulps", "mulpd", "mulss", "mulsd", "divps", "divpd", "divss", "divsd", "cvtpd2ps", "cvtsd2ss",
  "haddps", "haddpd", "dpps_0xff", "dppd_0x33"};
static void hard_fill(io_t *io, const insn_t *in) {
  int f64 = in->ka == K_F64 || in->kb == K_F64;
  int w = f64 ? 2 : 1;
  for (int i = 0; i < 4; i += w) {
    uint64_t a, b;
    const char *nm = in->name;
    if (!strncmp(nm, "cvt", 3)) nm = "mul";               /* a tiny binary64 product to narrow */
    if (!strncmp(nm, "hadd", 4)) nm = "add";
    if (!strncmp(nm, "dp", 2)) nm = "mul";
    hard_lane(nm, f64, &a, &b);
    if (!strncmp(in->name, "cvt", 3)) {
      /* the narrowed operand: a binary64 value at binary32's bottom exponents */
      int64_t e = 1023 - 126 - (int64_t)(rnd() % 28);
      b = (rnd() & 1) << 63 | (uint64_t)e << 52 | (rnd() & 0xfffffffffffffull & (chance(40) ? ~((1ull << 28) - 1) | (1ull << 28) : ~0ull));
      a = f64_any();
    }
    if (f64) { io->a[i] = (uint32_t)a; io->a[i + 1] = (uint32_t)(a >> 32); io->b[i] = (uint32_t)b; io->b[i + 1] = (uint32_t)(b >> 32); }
    else { io->a[i] = (uint32_t)a; io->b[i] = (uint32_t)b; }
  }
  if (!strncmp(in->name, "hadd", 4)) {        /* pair the lanes the horizontal add combines */
    if (f64) { io->a[2] = io->b[0]; io->a[3] = io->b[1]; }
    else { io->a[1] = io->b[0]; io->a[3] = io->b[2]; }
  }
}

static sigjmp_buf jb;
static io_t *cur;
static void on_fpe(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)si;
  ucontext_t *uc = ctx;
  cur->mxout = uc->uc_mcontext.fpregs->mxcsr;
  memcpy(cur->r, &uc->uc_mcontext.fpregs->_xmm[0], 16);
  siglongjmp(jb, 1);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0);
  static io_t io;
  for (int pass = 0; pass < 2; pass++)
  for (size_t k = 0; k < sizeof insns / sizeof insns[0]; k++) {
    const insn_t *in = &insns[k];
    int hardcase = 0;
    for (size_t h = 0; h < sizeof hard_names / sizeof hard_names[0]; h++) hardcase |= !strcmp(in->name, hard_names[h]);
    if (pass == 1 && !hardcase) continue;
    for (int n = 0; n < (pass ? 150 : in->count); n++) {
      memset(&io, 0, sizeof io);
      if (pass) hard_fill(&io, in);
      else {
        fill(io.a, in->ka);
        fill(io.b, in->kb);
        if (in->ka == in->kb) relate(&io, in->ka);
      }
      io.x = ((uint64_t)io.b[1] << 32) | io.b[0];
      uint32_t m = 0x1f80 | (uint32_t)(n & 3) << 13;
      if (pass ? (n & 28) == 28 : (n & 4) != 0) m |= 0x40;
      if (pass ? (n & 12) == 4 : (n & 8) != 0) m |= 0x8000;
      if (chance(15)) m &= ~((uint32_t)(rnd() & 0x3f) << 7);
      if (chance(10)) m |= (uint32_t)(rnd() & 0x3f);
      io.mxcsr = m;
      cur = &io;
      int trapped = 0;
      if (sigsetjmp(jb, 1)) trapped = 1;
      else in->fn(&io);
      printf("%s %04x %08x%08x%08x%08x %08x%08x%08x%08x %016llx -> ", in->name, io.mxcsr,
             io.a[3], io.a[2], io.a[1], io.a[0], io.b[3], io.b[2], io.b[1], io.b[0], (unsigned long long)io.x);
      if (!trapped && (in->fn == f_cvtps2pi || in->fn == f_cvttps2pi || in->fn == f_cvtpd2pi || in->fn == f_cvttpd2pi ||
                       strstr(in->name, "2si")))
        printf("%016llx", (unsigned long long)io.gout);
      else
        printf("%08x%08x%08x%08x", io.r[3], io.r[2], io.r[1], io.r[0]);
      printf(" %04x %03llx%s\n", io.mxout, (unsigned long long)(io.rflags & 0x8d5), trapped ? " T" : "");
    }
  }
  return 0;
}

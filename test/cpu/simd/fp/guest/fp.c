/*
 * An SSE floating-point guest program (and its host reference): float/double kernels that
 * gcc -O2 -msse4.1 -mfpmath=sse -frounding-math (so nothing is folded or hoisted across an
 * MXCSR change) compiles to SSE/SSE2/SSE3/SSE4.1 instructions, and intrinsics
 * for the rest, run under each MXCSR rounding mode and with DAZ/FTZ; it prints result bits and
 * MXCSR flags. No x87 instruction: nothing returns a float through st(0) (results go through
 * memory), checked by build.sh. `put` is the platform's: port 0xE9 in the guest
 * (../../guest/start32.s), stdout on the host (host.c).
 */
#define _MM_MALLOC_H_INCLUDED
#include <smmintrin.h>
#include <stddef.h>
#include <stdint.h>

void put(const char *s);

/* Opaque values: a volatile empty asm the compiler cannot see through or move across the
 * (volatile) LDMXCSR, so no intrinsic is constant-folded or hoisted out of its MXCSR setting:
 * the guest must run the instructions under the MXCSR it set (-frounding-math alone does not
 * stop gcc from hoisting intrinsics). */
static inline __m128 opq(__m128 v) { __asm__ volatile("" : "+x"(v)); return v; }
static inline __m128d opqd(__m128d v) { __asm__ volatile("" : "+x"(v)); return v; }
static inline __m128i opqi(__m128i v) { __asm__ volatile("" : "+x"(v)); return v; }
static inline void set_csr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v) : "memory"); }
#define SET_PS(...) opq(_mm_set_ps(__VA_ARGS__))
#define SET1_PS(x) opq(_mm_set1_ps(x))
#define SET_PD(...) opqd(_mm_set_pd(__VA_ARGS__))
#define SET_SD(x) opqd(_mm_set_sd(x))
#define SET_EPI32(...) opqi(_mm_set_epi32(__VA_ARGS__))

static void hex(const char *name, uint32_t v) {
  char line[64];
  int n = 0;
  while (*name) line[n++] = *name++;
  line[n++] = ' ';
  for (int i = 7; i >= 0; i--) line[n++] = "0123456789abcdef"[(v >> (4 * i)) & 15];
  line[n++] = '\n';
  line[n] = 0;
  put(line);
}

static void hexd(const char *name, double d) {
  union { double d; uint32_t w[2]; } u = {d};
  hex(name, u.w[1]);
  hex(" lo", u.w[0]);
}

static void hexf(const char *name, float f) {
  union { float f; uint32_t w; } u = {f};
  hex(name, u.w);
}

static void hexv(const char *name, __m128 v) {
  uint32_t w[4];
  _mm_storeu_ps((float *)w, v);
  for (int i = 0; i < 4; i++) hex(name, w[i]);
}

/* MXCSR flags raised since the last call, then cleared. */
static void flags(const char *name) {
  uint32_t m = _mm_getcsr();
  hex(name, m & 0x3f);
  set_csr(m & ~0x3fu);
}

#define N 256
static float xf[N] __attribute__((aligned(16)));
static float yf[N] __attribute__((aligned(16)));
static double xd[N] __attribute__((aligned(16)));
static double yd[N] __attribute__((aligned(16)));
static uint32_t seed = 12345;

static uint32_t rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

/* ---- kernels gcc vectorizes or compiles to scalar SSE ------------------------------------ */
__attribute__((noinline)) static void saxpy(float *y, const float *x, float a, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static void daxpy(double *y, const double *x, double a, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static void dot(double *out, const double *x, const double *y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i] * y[i];
  *out = s;
}

__attribute__((noinline)) static void harmonic(double *out, int n) {
  double s = 0;
  for (int i = 1; i <= n; i++) s += 1.0 / i;
  *out = s;
}

__attribute__((noinline)) static void harmonicf(float *out, int n) {
  float s = 0;
  for (int i = 1; i <= n; i++) s += 1.0f / (float)i;
  *out = s;
}

/* Newton's method for sqrt(2), and the scalar sqrt instruction. */
__attribute__((noinline)) static void roots(double *out, double v) {
  double x = v;
  for (int i = 0; i < 8; i++) x = 0.5 * (x + v / x);
  out[0] = x;
  out[1] = _mm_cvtsd_f64(_mm_sqrt_sd(SET_SD(0), SET_SD(v)));
}

/* exp(x) by its Taylor series, conversions to and from integers. */
__attribute__((noinline)) static void series(double *out, double x) {
  double term = 1, s = 1;
  for (int i = 1; i < 30; i++) {
    term = term * x / i;
    s += term;
  }
  out[0] = s;
  out[1] = (double)(int)(s * 1000.0);
}

__attribute__((noinline)) static void minmax(float *out, const float *x, size_t n) {
  float lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; i++) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  out[0] = lo;
  out[1] = hi;
}

__attribute__((noinline)) static int count_less(const double *x, const double *y, size_t n) {
  int c = 0;
  for (size_t i = 0; i < n; i++) c += x[i] < y[i];
  return c;
}

static void kernels(void) {
  for (int i = 0; i < N; i++) {
    xf[i] = (float)(int)(rnd() & 0xffff) / 256.0f - 100.0f;
    yf[i] = (float)(int)(rnd() & 0xfff) * 0.01f;
    xd[i] = (double)(int)rnd() / 65536.0 - 100.0;
    yd[i] = (double)(int)(rnd() & 0xffff) * 1e-3;
  }
  saxpy(yf, xf, 1.7f, N);
  uint32_t h = 0;
  for (int i = 0; i < N; i++) {
    union { float f; uint32_t w; } u = {yf[i]};
    h = h * 31 + u.w;
  }
  hex("saxpy", h);
  daxpy(yd, xd, -0.3, N);
  double d;
  dot(&d, xd, yd, N);
  hexd("dot", d);
  harmonic(&d, 1000);
  hexd("harmonic", d);
  float f;
  harmonicf(&f, 1000);
  hexf("harmonicf", f);
  double r[2];
  roots(r, 2.0);
  hexd("newton", r[0]);
  hexd("sqrtsd", r[1]);
  series(r, 1.5);
  hexd("exp", r[0]);
  hexd("trunc", r[1]);
  float mm[2];
  minmax(mm, xf, N);
  hexf("min", mm[0]);
  hexf("max", mm[1]);
  hex("less", (uint32_t)count_less(xd, yd, N));
  flags("flags");
}

/* ---- intrinsics: the instructions gcc does not pick by itself ---------------------------- */
static void intrinsics(void) {
  __m128 a = SET_PS(2.5f, -1.5f, 0.75f, 3.0e38f);
  __m128 b = SET_PS(-0.5f, 4.0f, 1e-30f, 2.0f);
  hexv("addps", _mm_add_ps(a, b));
  hexv("mulps", _mm_mul_ps(a, b));
  flags(" flags");
  hexv("divps", _mm_div_ps(a, b));
  hexv("sqrtps", _mm_sqrt_ps(SET_PS(2, 3, 1e-40f, 0.0f)));
  flags(" flags");
  hexv("minps", _mm_min_ps(a, b));
  hexv("maxps", _mm_max_ps(a, b));
  hexv("cmpltps", _mm_cmplt_ps(a, b));
  hexv("cmpunord", _mm_cmpunord_ps(a, SET_PS(0, __builtin_nanf(""), 0, 0)));
  flags(" flags");
  hexv("hadd", _mm_hadd_ps(a, b));
  hexv("addsub", _mm_addsub_ps(a, b));
  hexv("dpps", _mm_dp_ps(a, b, 0xf3));
  hexv("round", _mm_round_ps(SET_PS(2.5f, -2.5f, 1.5f, -0.4f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  hexv("floor", _mm_floor_ps(SET_PS(2.5f, -2.5f, 1.5f, -0.4f)));
  hexv("ceil", _mm_ceil_ps(SET_PS(2.5f, -2.5f, 1.5f, -0.4f)));
  flags(" flags");
  hexv("rcp-ish", _mm_cmpgt_ps(_mm_rcp_ps(SET_PS(0, -0.0f, 3e38f, 1e-39f)), SET1_PS(1e30f)));
  __m128d p = SET_PD(1e300, -3.25);
  __m128d q = SET_PD(1e10, 7.0);
  __m128d pq = _mm_mul_pd(p, q);
  hexd("mulpd", _mm_cvtsd_f64(_mm_unpackhi_pd(pq, pq)));
  hexd(" lo", _mm_cvtsd_f64(pq));
  flags(" flags");
  __m128d dd = _mm_dp_pd(p, q, 0x31);
  hexd("dppd", _mm_cvtsd_f64(dd));
  __m128d hs = _mm_hsub_pd(p, q);
  hexd("hsubpd", _mm_cvtsd_f64(hs));
  __m128 n = _mm_cvtpd_ps(p);
  hexv("cvtpd2ps", n);
  flags(" flags");
  __m128d w = _mm_cvtps_pd(SET_PS(0, 0, -1e-40f, 3.5f));
  hexd("cvtps2pd", _mm_cvtsd_f64(_mm_unpackhi_pd(w, w)));
  hex("cvtps2dq", (uint32_t)_mm_cvtsi128_si32(_mm_cvtps_epi32(SET1_PS(-2.5f))));
  hex("cvttps2dq", (uint32_t)_mm_cvtsi128_si32(_mm_cvttps_epi32(SET1_PS(-2.5f))));
  hex("cvtsd2si", (uint32_t)_mm_cvtsd_si32(SET_SD(3e9)));
  hex("cvttsd2si", (uint32_t)_mm_cvttsd_si32(SET_SD(-7.9)));
  hexf("cvtsi2ss", _mm_cvtss_f32(_mm_cvtsi32_ss(_mm_setzero_ps(), 16777217)));
  hexv("cvtdq2ps", _mm_cvtepi32_ps(SET_EPI32(-1, 0x7fffffff, 33554435, 5)));
  hex("comisd", (uint32_t)(_mm_comilt_sd(SET_SD(1), SET_SD(2)) | _mm_ucomieq_sd(SET_SD(0), SET_SD(-0.0)) << 1));
  flags(" flags");
}

static const char *mode_name[4] = {"nearest", "down", "up", "zero"};

int fp_main(void) {
  kernels();
  intrinsics();
  for (int rc = 0; rc < 4; rc++) {
    set_csr(0x1f80 | rc << 13);
    put(mode_name[rc]);
    put(":\n");
    double d;
    harmonic(&d, 300);
    hexd(" harmonic", d);
    float f;
    harmonicf(&f, 300);
    hexf(" harmonicf", f);
    double r[2];
    roots(r, 3.0);
    hexd(" newton", r[0]);
    series(r, -2.25);
    hexd(" exp", r[0]);
    hex(" cvtsd2si", (uint32_t)_mm_cvtsd_si32(SET_SD(-2.5)));
    hexv(" cvtdq2ps", _mm_cvtepi32_ps(SET_EPI32(-33554435, 0x7fffffff, 33554435, 16777217)));
    hexv(" cvtpd2ps", _mm_cvtpd_ps(SET_PD(1e39, 1e-46)));
    hexv(" round-mx", _mm_round_ps(SET_PS(2.5f, -2.5f, 1.5f, -0.4f), _MM_FROUND_CUR_DIRECTION));
    flags(" flags");
  }
  /* Denormals: DAZ reads them as zero, FTZ flushes tiny results. */
  for (int m = 0; m < 4; m++) {
    set_csr(0x1f80 | (m & 1 ? 0x40 : 0) | (m & 2 ? 0x8000 : 0));
    __m128 t = SET_PS(1e-39f, -1e-40f, 1e-20f, 3e-38f);
    hexv("daz/ftz mul", _mm_mul_ps(t, SET_PS(1.0f, 2.0f, 1e-20f, 0.25f)));
    hexv("daz/ftz add", _mm_add_ps(t, SET1_PS(0.0f)));
    flags(" flags");
  }
  set_csr(0x1f80);
  return 0;
}

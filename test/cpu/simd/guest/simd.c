/*
 * A SIMD-heavy guest program (and its host reference): checksum loops that gcc -O2 -msse4.2
 * vectorizes, and string routines written with SSE2/SSSE3/SSE4.1/SSE4.2 and MMX intrinsics.
 * Integer only (the SSE floating-point half is another branch's). `put` is supplied by the
 * platform: the guest writes to port 0xE9 (start32.s / start64.s), the host to stdout (host.c).
 */
/* Freestanding: skip mm_malloc.h (it includes the C library's stdlib.h). */
#define _MM_MALLOC_H_INCLUDED
#include <nmmintrin.h>
#include <stddef.h>
#include <stdint.h>

void put(const char *s);

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

#define N 4096
static uint8_t buf[N] __attribute__((aligned(16)));
static uint8_t buf2[N] __attribute__((aligned(16)));
static char text[N + 16] __attribute__((aligned(16)));
static uint32_t seed;

static uint32_t rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

/* ---- checksum loops (auto-vectorized) ---------------------------------------------------- */
__attribute__((noinline)) static uint32_t sum_bytes(const uint8_t *p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  return s;
}

__attribute__((noinline)) static uint32_t sum_sq16(const uint16_t *p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i++) s += (uint32_t)p[i] * p[i];
  return s;
}

__attribute__((noinline)) static uint32_t xor_mul(const uint32_t *p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i++) s ^= p[i] * 2654435761u + (p[i] >> 7);
  return s;
}

__attribute__((noinline)) static void mix(uint8_t *d, const uint8_t *a, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v = a[i] + b[i];
    d[i] = (uint8_t)(v > 255 ? 255 : v) ^ (uint8_t)(a[i] < b[i] ? a[i] : b[i]);
  }
}

__attribute__((noinline)) static int16_t max16(const int16_t *p, size_t n) {
  int16_t m = -32768;
  for (size_t i = 0; i < n; i++) m = p[i] > m ? p[i] : m;
  return m;
}

static uint32_t adler32(const uint8_t *p, size_t n) {
  uint32_t a = 1, b = 0;
  for (size_t i = 0; i < n; i++) {
    a = (a + p[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

static uint32_t crc32c_hw(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffff;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) c = _mm_crc32_u32(c, *(const uint32_t *)(p + i));
  for (; i < n; i++) c = _mm_crc32_u8(c, p[i]);
  return ~c;
}

static uint32_t crc32c_sw(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffff;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return ~c;
}

/* ---- string routines ------------------------------------------------------------------------ */
static size_t sse_strlen(const char *s) {
  const char *a = (const char *)((uintptr_t)s & ~(uintptr_t)15);
  __m128i z = _mm_setzero_si128();
  unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), z)) >> (s - a);
  if (m) return (size_t)__builtin_ctz(m);
  for (;;) {
    a += 16;
    int i = _mm_cmpistri(_mm_load_si128((const __m128i *)a), _mm_load_si128((const __m128i *)a), _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_EACH | _SIDD_NEGATIVE_POLARITY);
    if (_mm_cmpistrz(_mm_load_si128((const __m128i *)a), _mm_load_si128((const __m128i *)a), _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_EACH)) {
      (void)i;
      __m128i v = _mm_load_si128((const __m128i *)a);
      unsigned mm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, z));
      return (size_t)(a - s) + (size_t)__builtin_ctz(mm);
    }
  }
}

static const char *sse_strchr(const char *s, int c) {
  __m128i cc = _mm_set1_epi8((char)c), z = _mm_setzero_si128();
  for (;; s += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cc));
    unsigned end = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, z));
    if (hit | end) {
      unsigned h = hit ? (unsigned)__builtin_ctz(hit) : 99, e = end ? (unsigned)__builtin_ctz(end) : 99;
      return h <= e && hit ? s + h : 0;
    }
  }
}

static int sse_memcmp(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(a + i)), y = _mm_loadu_si128((const __m128i *)(b + i));
    unsigned ne = 0xffff ^ (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
    if (ne) {
      unsigned k = (unsigned)__builtin_ctz(ne);
      return a[i + k] - b[i + k];
    }
  }
  for (; i < n; i++)
    if (a[i] != b[i]) return a[i] - b[i];
  return 0;
}

/* Index of the first occurrence of a needle (up to 16 bytes) with PCMPISTRI equal-ordered. */
static int sse_strstr16(const char *hay, const char *needle) {
  __m128i nd = _mm_loadu_si128((const __m128i *)needle);
  for (int off = 0;; off += 16) {
    __m128i h = _mm_loadu_si128((const __m128i *)(hay + off));
    int i = _mm_cmpistri(nd, h, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ORDERED);
    if (i < 16) {
      /* Partial match at the end of the block: confirm from there. */
      int k = 0;
      while (needle[k] && hay[off + i + k] == needle[k]) k++;
      if (!needle[k]) return off + i;
      off = off + i + 1 - 16;
      continue;
    }
    if (_mm_cmpistrz(nd, h, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ORDERED)) return -1;
  }
}

/* Uppercase with a PCMPISTRM range mask (bytes 'a'..'z' → byte mask) and PBLENDVB. */
static void sse_upper(char *s, size_t n) {
  const __m128i range = _mm_setr_epi8('a', 'z', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  for (size_t i = 0; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i m = _mm_cmpistrm(range, v, _SIDD_UBYTE_OPS | _SIDD_CMP_RANGES | _SIDD_UNIT_MASK);
    __m128i up = _mm_sub_epi8(v, _mm_set1_epi8(32));
    _mm_storeu_si128((__m128i *)(s + i), _mm_blendv_epi8(v, up, m));
  }
}

/* Count characters of a set with PCMPESTRM equal-any and POPCNT. */
static uint32_t count_set(const char *s, size_t n, const char *set, int setlen) {
  __m128i st = _mm_loadu_si128((const __m128i *)set);
  uint32_t c = 0;
  for (size_t i = 0; i < n; i += 16) {
    int len = n - i < 16 ? (int)(n - i) : 16;
    __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i m = _mm_cmpestrm(st, setlen, v, len, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_BIT_MASK);
    c += (uint32_t)__builtin_popcount((unsigned)_mm_cvtsi128_si32(m));
  }
  return c;
}

static uint32_t fold(__m128i v) {
  v = _mm_xor_si128(v, _mm_srli_si128(v, 8));
  v = _mm_xor_si128(v, _mm_shuffle_epi32(v, 0x55));
  return (uint32_t)_mm_cvtsi128_si32(v);
}

/* Assorted SSSE3/SSE4.1 integer operations over the buffers. */
static uint32_t assorted(void) {
  const __m128i rev = _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  __m128i acc = _mm_setzero_si128();
  uint32_t r = 0;
  for (int i = 0; i + 32 <= N; i += 16) {
    __m128i a = _mm_load_si128((const __m128i *)(buf + i)), b = _mm_load_si128((const __m128i *)(buf2 + i));
    __m128i c = _mm_alignr_epi8(b, a, 5);
    c = _mm_shuffle_epi8(c, rev);
    c = _mm_add_epi32(c, _mm_sad_epu8(a, b));
    c = _mm_xor_si128(c, _mm_maddubs_epi16(a, b));
    c = _mm_add_epi16(c, _mm_mulhrs_epi16(a, b));
    c = _mm_xor_si128(c, _mm_packus_epi32(_mm_cvtepu16_epi32(a), _mm_cvtepi16_epi32(b)));
    c = _mm_add_epi64(c, _mm_mul_epu32(a, b));
    c = _mm_xor_si128(c, _mm_mullo_epi32(a, b));
    c = _mm_add_epi8(c, _mm_abs_epi8(_mm_sign_epi8(a, b)));
    c = _mm_xor_si128(c, _mm_hadd_epi16(a, b));
    c = _mm_max_epi32(c, _mm_min_epu16(a, b));
    c = _mm_xor_si128(c, _mm_cmpgt_epi64(a, b));
    c = _mm_blend_epi16(c, _mm_minpos_epu16(a), 0x0f);
    c = _mm_insert_epi32(c, _mm_extract_epi8(a, 3) + _mm_extract_epi16(b, 5), 2);
    c = _mm_xor_si128(c, _mm_packs_epi16(_mm_srai_epi16(a, 3), _mm_slli_epi16(b, 2)));
    c = _mm_xor_si128(c, _mm_unpackhi_epi32(_mm_srl_epi64(a, _mm_cvtsi32_si128(9)), b));
    r += (uint32_t)_mm_testz_si128(a, b) + 2u * (uint32_t)_mm_testc_si128(a, b);
    acc = _mm_xor_si128(_mm_shuffle_epi32(acc, 0x93), c);
  }
  return fold(acc) ^ r;
}

/* MMX: word multiply-add and saturating adds, then EMMS. */
static uint32_t mmx_sum(void) {
  __m64 acc = _mm_setzero_si64();
  for (int i = 0; i < N; i += 8) {
    __m64 a = *(const __m64 *)(buf + i), b = *(const __m64 *)(buf2 + i);
    acc = _mm_add_pi32(acc, _mm_madd_pi16(a, b));
    acc = _mm_xor_si64(acc, _mm_adds_pu8(a, b));
    acc = _mm_add_pi16(acc, _mm_srli_pi16(_mm_subs_pi8(a, b), 1));
  }
  uint32_t lo = (uint32_t)_mm_cvtsi64_si32(acc), hi = (uint32_t)_mm_cvtsi64_si32(_mm_srli_si64(acc, 32));
  _mm_empty();
  return lo ^ (hi * 3);
}

void simd_main(void) {
  seed = 2026;
  for (int i = 0; i < N; i++) buf[i] = (uint8_t)rnd(), buf2[i] = (uint8_t)(rnd() >> 3);
  static const char alpha[] = "abcdefghijklmnopqrstuvwxyz ABCXYZ.,";
  for (int i = 0; i < N; i++) text[i] = alpha[rnd() % (sizeof alpha - 1)];
  text[N - 1] = 0;
  put("simd guest\n");
  hex("sum_bytes", sum_bytes(buf, N));
  hex("sum_sq16", sum_sq16((const uint16_t *)buf, N / 2));
  hex("xor_mul", xor_mul((const uint32_t *)buf, N / 4));
  mix(buf2 + 2048, buf, buf2, 2048);
  hex("mix", sum_bytes(buf2, N));
  hex("max16", (uint16_t)max16((const int16_t *)buf2, N / 2));
  hex("adler32", adler32(buf, N));
  hex("crc32c_hw", crc32c_hw(buf, N - 3));
  hex("crc32c_sw", crc32c_sw(buf, N - 3));
  uint32_t lens = 0;
  for (int k = 0; k < 40; k++) {
    int at = (int)(rnd() % (N - 64));
    text[at + 40] = 0;
    lens = lens * 31 + (uint32_t)sse_strlen(text + at + (k % 17));
    text[at + 40] = 'q';
  }
  hex("strlen", lens);
  uint32_t chr = 0;
  for (int k = 0; k < 40; k++) {
    const char *p = sse_strchr(text + k * 50, 'A' + (k % 3));
    chr = chr * 31 + (p ? (uint32_t)(p - text) : 0xffff);
  }
  hex("strchr", chr);
  hex("memcmp", (uint32_t)sse_memcmp(buf, buf, 1000) ^ ((uint32_t)sse_memcmp(buf, buf2, 700) << 8));
  uint32_t ss = 0;
  static const char *needles[] = {"abc", "zz", "xy", " a", "q", "hello", "ab", "ba"};
  for (int k = 0; k < 8; k++) ss = ss * 131 + (uint32_t)sse_strstr16(text + 100, needles[k]);
  hex("strstr", ss);
  sse_upper(text, 512);
  hex("upper", crc32c_sw((const uint8_t *)text, 512));
  hex("count_set", count_set(text, 1000, "AEIOU aeiou.", 12));
  hex("assorted", assorted());
  hex("mmx", mmx_sum());
}

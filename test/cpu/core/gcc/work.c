/*
 * A freestanding workload compiled with gcc -O2 for the interpreter tests (build.sh): integer
 * arithmetic of every width, signed/unsigned division, shifts and rotates, a jump-table switch,
 * an insertion sort, byte loops, struct copies (memcpy/memset), and 64-bit math in 32-bit code.
 * work(seed) must return the same value on the host CPU and in the interpreter.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef __SIZE_TYPE__ size_t;

void *memcpy(void *d, const void *s, size_t n) {
  u8 *dp = d;
  const u8 *sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}

void *memset(void *d, int c, size_t n) {
  u8 *dp = d;
  while (n--) *dp++ = (u8)c;
  return d;
}

#ifdef __i386__
/* libgcc's 64-bit division helpers, which 32-bit code calls (no libgcc is linked). */
u64 __udivmoddi4(u64 n, u64 d, u64 *rem) {
  u64 q = 0, r = 0;
  for (int i = 63; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= 1ull << i;
    }
  }
  if (rem) *rem = r;
  return q;
}
u64 __udivdi3(u64 n, u64 d) { return __udivmoddi4(n, d, 0); }
u64 __umoddi3(u64 n, u64 d) {
  u64 r;
  __udivmoddi4(n, d, &r);
  return r;
}
i64 __divdi3(i64 a, i64 b) {
  u64 q = __udivmoddi4(a < 0 ? -(u64)a : (u64)a, b < 0 ? -(u64)b : (u64)b, 0);
  return ((a < 0) ^ (b < 0)) ? -(i64)q : (i64)q;
}
i64 __moddi3(i64 a, i64 b) {
  u64 r;
  __udivmoddi4(a < 0 ? -(u64)a : (u64)a, b < 0 ? -(u64)b : (u64)b, &r);
  return a < 0 ? -(i64)r : (i64)r;
}
#endif

struct rec {
  u32 key;
  u16 small;
  u8 tag;
  i64 wide;
};

static u32 rotl(u32 x, int r) { return (x << r) | (x >> (32 - r)); }

static u32 crc32(const u8 *p, int n) {
  u32 c = 0xffffffffu;
  for (int i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return ~c;
}

static __attribute__((noinline)) u32 classify(u32 v) {
  switch (v % 9) {
    case 0: return v * 3 + 1;
    case 1: return v ^ 0x5a5a5a5a;
    case 2: return rotl(v, 7);
    case 3: return v / 7;
    case 4: return (u32)((i32)v >> 3);
    case 5: return v - 12345;
    case 6: return ~v;
    case 7: return v << 2;
    default: return v + (v >> 16);
  }
}

static void sort(struct rec *r, int n) {
  for (int i = 1; i < n; i++) {
    struct rec t = r[i];
    int j = i - 1;
    while (j >= 0 && (r[j].key > t.key || (r[j].key == t.key && r[j].wide > t.wide))) {
      r[j + 1] = r[j];
      j--;
    }
    r[j + 1] = t;
  }
}

u32 work(u32 seed) {
  struct rec recs[24];
  u8 buf[64];
  u32 x = seed | 1;
  memset(recs, 0, sizeof recs);
  for (int i = 0; i < 24; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    recs[i].key = x % 1000;
    recs[i].small = (u16)(x >> 7);
    recs[i].tag = (u8)i;
    recs[i].wide = (i64)(i32)x * (i64)(i32)(x ^ 0x9e3779b9) - (i64)seed;
  }
  sort(recs, 24);
  u32 h = 0;
  for (int i = 0; i < 24; i++) {
    h = h * 31 + recs[i].key + recs[i].tag;
    h ^= (u32)(recs[i].wide >> 13) + recs[i].small;
    h += classify(h + (u32)i);
  }
  for (int i = 0; i < 64; i++) buf[i] = (u8)(h >> (i & 24)) + (u8)i;
  h ^= crc32(buf, 64);
  u64 acc = (u64)h * 0x100000001b3ull;
  for (int i = 0; i < 16; i++) {
    acc = (acc ^ buf[i * 4]) * 0x100000001b3ull;
    if ((acc >> 61) == 3) acc /= 3 + (acc & 7);
    i64 s = (i64)acc;
    acc += (u64)(s / -7) + (u64)(s % 13);
  }
  i32 sd = (i32)h;
  sd = sd / -3 + sd % 5;
  u16 w = (u16)(h * 7);
  w = (u16)(w / 3 + (u16)(w << 3));
  return (u32)acc ^ (u32)(acc >> 32) ^ (u32)sd ^ w;
}

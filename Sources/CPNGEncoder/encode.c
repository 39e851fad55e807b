#include "swath_png.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put32(unsigned char *at, uint32_t value) {
  at[0] = (unsigned char)(value >> 24);
  at[1] = (unsigned char)(value >> 16);
  at[2] = (unsigned char)(value >> 8);
  at[3] = (unsigned char)value;
}

/* Written without branches or calls so that compilers vectorise the row loop. */
static inline unsigned char paeth(int a, int b, int c) {
  int pa = b - c, pb = a - c;
  int pc = pa + pb;
  pa = pa < 0 ? -pa : pa;
  pb = pb < 0 ? -pb : pb;
  pc = pc < 0 ? -pc : pc;
  return (unsigned char)((pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c));
}

/* libpng's measure of how well a filtered row will compress: the sum of its bytes taken as
   signed values, without sign. 32-bit sums over slices keep the loop vectorised 4 wide or more. */
static uint64_t magnitude_sum(const unsigned char *bytes, size_t n) {
  uint64_t sum = 0;
  for (size_t start = 0; start < n; start += 1 << 20) {
    size_t end = n - start < (1 << 20) ? n : start + (1 << 20);
    uint32_t slice = 0;
    for (size_t i = start; i < end; i++) {
      int value = (signed char)bytes[i];
      slice += (uint32_t)(value < 0 ? -value : value);
    }
    sum += slice;
  }
  return sum;
}

/* Filters one row of `n` bytes (`bpp` bytes a pixel) into `out`. `prev` is the raw row above
   (zeros for the first). The first pixel has no left neighbour, hence two loops; the second has
   no dependency between bytes and vectorises. */
static void filter_row(int type, const unsigned char *restrict cur,
                       const unsigned char *restrict prev, size_t n, size_t bpp,
                       unsigned char *restrict out) {
  size_t i;
  switch (type) {
  case SWATH_PNG_FILTER_SUB:
    for (i = 0; i < bpp; i++) out[i] = cur[i];
    for (; i < n; i++) out[i] = (unsigned char)(cur[i] - cur[i - bpp]);
    break;
  case SWATH_PNG_FILTER_UP:
    for (i = 0; i < n; i++) out[i] = (unsigned char)(cur[i] - prev[i]);
    break;
  case SWATH_PNG_FILTER_AVERAGE:
    for (i = 0; i < bpp; i++) out[i] = (unsigned char)(cur[i] - (prev[i] >> 1));
    for (; i < n; i++) out[i] = (unsigned char)(cur[i] - ((cur[i - bpp] + prev[i]) >> 1));
    break;
  case SWATH_PNG_FILTER_PAETH:
    for (i = 0; i < bpp; i++) out[i] = (unsigned char)(cur[i] - prev[i]);
    for (; i < n; i++)
      out[i] = (unsigned char)(cur[i] - paeth(cur[i - bpp], prev[i], prev[i - bpp]));
    break;
  default:
    memcpy(out, cur, n);
    break;
  }
}

/* Per thread, kept between calls: the compressor of the last level and the work memory of
   images up to 4 MB. Allocating both anew for every chip cost about 5 % of fast mode's CPU in
   page faults (glibc hands large freed blocks back to the kernel). */
typedef struct {
  struct libdeflate_compressor *compressor;
  int level;
  unsigned char *work;
  size_t capacity;
} thread_cache;

enum { CACHED_WORK_MAX = 4 << 20 };

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_ready;

static void cache_release(void *pointer) {
  thread_cache *cache = pointer;
  libdeflate_free_compressor(cache->compressor);
  free(cache->work);
  free(cache);
}

static void cache_create_key(void) {
  cache_ready = pthread_key_create(&cache_key, cache_release) == 0;
}

/* NULL when there is none (then everything is allocated for the call and freed after). */
static thread_cache *this_thread_cache(void) {
  pthread_once(&cache_once, cache_create_key);
  if (!cache_ready) return NULL;
  thread_cache *cache = pthread_getspecific(cache_key);
  if (cache == NULL && (cache = calloc(1, sizeof *cache)) != NULL &&
      pthread_setspecific(cache_key, cache) != 0) {
    free(cache);
    cache = NULL;
  }
  return cache;
}

static int fail(swath_png_output *out, const char *message) {
  free(out->data);
  out->data = NULL;
  out->size = 0;
  snprintf(out->message, sizeof(out->message), "%s", message);
  return 1;
}

int swath_png_encode(const unsigned char *const *rows, unsigned width, unsigned height,
                     unsigned channels, int level, int filter, swath_png_output *out) {
  static const unsigned char color_types[] = {0, 0, 4, 2, 6};
  static const unsigned char signature[] = {137, 80, 78, 71, 13, 10, 26, 10};
  out->data = NULL;
  out->size = 0;
  out->message[0] = 0;
  if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu)
    return fail(out, "image size out of range");
  if (channels < 1 || channels > 4) return fail(out, "not 1 to 4 channels");
  if (filter < SWATH_PNG_ADAPTIVE || filter > SWATH_PNG_FILTER_PAETH)
    return fail(out, "unknown filter");

  size_t row_bytes = (size_t)width * channels;
  if ((size_t)height > (SIZE_MAX / 2) / (row_bytes + 1)) return fail(out, "image too large");
  size_t filtered_size = (row_bytes + 1) * height;
  thread_cache *cache = this_thread_cache();
  struct libdeflate_compressor *compressor;
  if (cache != NULL && cache->compressor != NULL && cache->level == level) {
    compressor = cache->compressor;
  } else {
    compressor = libdeflate_alloc_compressor(level);
    if (cache != NULL && compressor != NULL) {
      libdeflate_free_compressor(cache->compressor);
      cache->compressor = compressor;
      cache->level = level;
    }
  }
  /* The filtered rows (type byte + bytes each), two rows of trial output, one row of zeros. */
  size_t work_size = filtered_size + 3 * row_bytes;
  unsigned char *work;
  if (cache != NULL && work_size <= CACHED_WORK_MAX) {
    if (cache->capacity < work_size) {
      free(cache->work);
      cache->work = malloc(work_size);
      cache->capacity = cache->work != NULL ? work_size : 0;
    }
    work = cache->work;
  } else {
    work = malloc(work_size);
  }
  int status = 0;
  if (work == NULL || compressor == NULL) {
    status = fail(out, compressor == NULL ? "cannot create a libdeflate compressor at this level"
                                          : "out of memory");
    goto done;
  }
  unsigned char *filtered = work;
  unsigned char *scratch = work + filtered_size;
  unsigned char *zeros = scratch + 2 * row_bytes;
  memset(zeros, 0, row_bytes);

  for (unsigned y = 0; y < height; y++) {
    const unsigned char *cur = rows[y];
    const unsigned char *prev = y > 0 ? rows[y - 1] : zeros;
    unsigned char *line = filtered + (size_t)y * (row_bytes + 1);
    if (filter != SWATH_PNG_ADAPTIVE) {
      line[0] = (unsigned char)filter;
      filter_row(filter, cur, prev, row_bytes, channels, line + 1);
      continue;
    }
    /* libpng's heuristic: the type whose output has the smallest sum of magnitudes, the first
       on ties. `best` holds the winner so far, `trial` is the other scratch row. */
    unsigned char *trial = scratch;
    const unsigned char *best = cur;
    int best_type = SWATH_PNG_FILTER_NONE;
    uint64_t best_sum = magnitude_sum(cur, row_bytes);
    for (int type = SWATH_PNG_FILTER_SUB; type <= SWATH_PNG_FILTER_PAETH; type++) {
      filter_row(type, cur, prev, row_bytes, channels, trial);
      uint64_t sum = magnitude_sum(trial, row_bytes);
      if (sum < best_sum) {
        best_sum = sum;
        best_type = type;
        best = trial;
        trial = trial == scratch ? scratch + row_bytes : scratch;
      }
    }
    line[0] = (unsigned char)best_type;
    memcpy(line + 1, best, row_bytes);
  }

  /* Signature, IHDR (8 + 25 bytes), IDAT header (8), the zlib stream, its CRC (4), IEND (12). */
  size_t bound = libdeflate_zlib_compress_bound(compressor, filtered_size);
  out->data = malloc(8 + 25 + 8 + bound + 4 + 12);
  if (out->data == NULL) {
    status = fail(out, "out of memory");
    goto done;
  }
  unsigned char *at = out->data;
  memcpy(at, signature, 8);
  put32(at + 8, 13);
  memcpy(at + 12, "IHDR", 4);
  put32(at + 16, width);
  put32(at + 20, height);
  at[24] = 8; /* bit depth */
  at[25] = color_types[channels];
  at[26] = at[27] = at[28] = 0; /* deflate, adaptive filtering, no interlace */
  put32(at + 29, libdeflate_crc32(0, at + 12, 17));
  memcpy(at + 37, "IDAT", 4);
  size_t compressed = libdeflate_zlib_compress(compressor, filtered, filtered_size, at + 41, bound);
  /* One IDAT chunk: its length field holds at most 2^31 - 1. */
  if (compressed == 0 || compressed > 0x7fffffffu) {
    status = fail(out, compressed == 0 ? "libdeflate could not compress" : "image too large");
    goto done;
  }
  put32(at + 33, (uint32_t)compressed);
  put32(at + 41 + compressed, libdeflate_crc32(0, at + 37, 4 + compressed));
  at += 45 + compressed;
  put32(at, 0);
  memcpy(at + 4, "IEND", 4);
  put32(at + 8, libdeflate_crc32(0, at + 4, 4));
  out->size = 57 + compressed;

done:
  if (cache == NULL || cache->compressor != compressor) libdeflate_free_compressor(compressor);
  if (cache == NULL || cache->work != work) free(work);
  return status;
}

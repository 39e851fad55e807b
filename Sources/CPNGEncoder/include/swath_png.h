#ifndef SWATH_PNG_H
#define SWATH_PNG_H

#include <stddef.h>

/* Swath's PNG encoder: libpng's adaptive per-row filter choice, the IDAT zlib stream from
   libdeflate, the chunks written here (signature, IHDR, one IDAT, IEND). */
typedef struct {
  /* The PNG file, malloc'd; the caller frees it. NULL on failure. */
  unsigned char *data;
  size_t size;
  char message[128];
} swath_png_output;

/* The PNG filter types; SWATH_PNG_ADAPTIVE picks one per row as libpng does. */
enum {
  SWATH_PNG_ADAPTIVE = -1,
  SWATH_PNG_FILTER_NONE = 0,
  SWATH_PNG_FILTER_SUB = 1,
  SWATH_PNG_FILTER_UP = 2,
  SWATH_PNG_FILTER_AVERAGE = 3,
  SWATH_PNG_FILTER_PAETH = 4,
};

/* Encodes `height` rows of `width` 8-bit pixels of `channels` interleaved samples (1 grey,
   2 grey+alpha, 3 RGB, 4 RGBA) at libdeflate `level` (0-12) with `filter` (a type above).
   Returns 0 on success; otherwise out->message says why. */
int swath_png_encode(const unsigned char *const *rows, unsigned width, unsigned height,
                     unsigned channels, int level, int filter, swath_png_output *out);

#endif

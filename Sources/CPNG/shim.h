/* libpng, for the tests: they decode chips with a reader independent of Swath's encoder. */
#include <png.h>

#include <gdal.h>
#include <gdal_alg.h>
#include <gdalwarper.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <cpl_vsi_error.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

// GDAL exports its SHA-256 but does not install cpl_sha256.h (used for image checksums).
void CPL_SHA256(const void *data, size_t len, GByte hash[32]);

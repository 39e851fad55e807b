"""Helpers of `tools/bench-serve chips`, run with GDAL's Python bindings (Debian's python3-gdal).

  chip_check.py windows COG SIZE SWATH_TASK URL_FOR_TITILER OUT_PREFIX
      writes OUT_PREFIX.windows (x y per line, the COG's distinct SIZE x SIZE windows, row by row),
      OUT_PREFIX.swath (swath's chip paths for the task) and OUT_PREFIX.titiler (titiler.core's
      native-resolution PNG: the window's bounds in the COG's CRS, SIZE x SIZE pixels)
  chip_check.py compare NAME URL AUTH PATHS WINDOWS COG SIZE COUNT
      GETs the first COUNT paths and compares each PNG's colour bands with
      `gdal_translate -srcwin X Y SIZE SIZE COG`; prints one line, exits 1 on a difference
"""

import http.client
import os
import subprocess
import sys
import tempfile
import urllib.parse

from osgeo import gdal

gdal.UseExceptions()


def windows(cog, size, task, url, prefix):
    dataset = gdal.Open(cog)
    c = dataset.GetGeoTransform()
    epsg = dataset.GetSpatialRef().GetAuthorityCode(None)
    rows, columns = dataset.RasterYSize // size, dataset.RasterXSize // size
    with open(prefix + ".windows", "w") as w, open(prefix + ".swath", "w") as s, \
            open(prefix + ".titiler", "w") as t:
        for row in range(rows):
            for column in range(columns):
                x, y = column * size, row * size
                w.write(f"{x} {y}\n")
                s.write(f"/api/v1/tasks/{task}/chips/r{row:04d}_c{column:04d}.png\n")
                minx, maxy = c[0] + x * c[1], c[3] + y * c[5]
                maxx, miny = minx + size * c[1], maxy + size * c[5]
                query = urllib.parse.urlencode(
                    {"url": url, "coord_crs": f"EPSG:{epsg}", "dst_crs": f"EPSG:{epsg}"})
                t.write(f"/bbox/{minx!r},{miny!r},{maxx!r},{maxy!r}/{size}x{size}.png?{query}\n")


def compare(name, url, auth, paths, windows_file, cog, size, count):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    paths = [line.strip() for line in open(paths) if line.strip()]
    places = [tuple(map(int, line.split())) for line in open(windows_file) if line.strip()]
    bands = gdal.Open(cog).RasterCount
    equal = 0
    with tempfile.TemporaryDirectory() as folder:
        for n, (path, (x, y)) in enumerate(zip(paths[:count], places[:count])):
            connection.request("GET", path, headers={"Authorization": auth} if auth else {})
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                sys.exit(f"{name}: GET {path}: {response.status} {data[:300]!r}")
            png = os.path.join(folder, f"{n}.png")
            open(png, "wb").write(data)
            reference = os.path.join(folder, f"{n}.tif")
            subprocess.run(["gdal_translate", "-q", "-srcwin", str(x), str(y), str(size), str(size),
                            cog, reference], check=True)
            got, want = gdal.Open(png), gdal.Open(reference)
            same = got.RasterXSize == size and got.RasterYSize == size and all(
                (got.GetRasterBand(b).ReadAsArray() == want.GetRasterBand(b).ReadAsArray()).all()
                for b in range(1, bands + 1))
            equal += same
    print(f"{name}: {equal} of {min(count, len(paths))} chips equal gdal_translate -srcwin")
    sys.exit(0 if equal == min(count, len(paths)) else 1)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "windows":
        windows(args[0], int(args[1]), args[2], args[3], args[4])
    elif command == "compare":
        compare(args[0], args[1], args[2], args[3], args[4], args[5], int(args[6]), int(args[7]))
    else:
        sys.exit(__doc__)

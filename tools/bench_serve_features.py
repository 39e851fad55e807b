#!/usr/bin/env python3
"""tools/bench-serve features: the first page of a bbox query on a final layer of N objects
(default 250,000) over OGC API – Features, from `swath serve` on SQLite (R*Tree) and on
PostgreSQL (PostGIS GiST), and, in the same run on the same objects in the same PostgreSQL
database, from pygeoapi (PyPI, its PostgreSQL provider, gunicorn with 2 workers). Prints p50
and p99 over R requests of random boxes holding about 100 objects each (limit=100), of a box
over half the layer, and of the second page through the `next` link; the ratio to pygeoapi; and
how long `swath serve` took to build the layer rows from the run on first use.

The layer is a synthetic consensus run (a grid of small squares, labels building and vehicle,
every object accepted) stored in the workspace's store as a run Swath made would be; its rows
are built by Swath's own backfill (the first request after the run), so they are real rows in
the real store.

usage: tools/bench-serve features [--objects N] [--requests R] [--skip-pygeoapi]"""

import argparse
import http.client
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_demo  # noqa: E402

# The grid: squares of STEP / 2 degrees, STEP apart, from (LON0, LAT0).
LON0, LAT0, STEP = 13.0, 47.6, 0.0002


def grid(n):
    side = math.ceil(math.sqrt(n))
    for i in range(n):
        row, column = divmod(i, side)
        lon, lat = LON0 + column * STEP, LAT0 + row * STEP
        yield i, lon, lat, ("vehicle" if i % 3 == 0 else "building")


def ring(lon, lat):
    d = STEP / 2
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def run_result(n):
    """A consensus run's result text as Swath stores it: a FeatureCollection of objects."""
    parts = []
    for i, lon, lat, label in grid(n):
        properties = {"label": label, "shape": "polygon", "status": "accepted", "confidence": 0.97,
                      "score": 0.97, "support": 3, "assigned": 3, "iou_mean": 0.91,
                      "annotators": ["a1", "a2", "a3"], "votes": {label: 3}, "conflicts": []}
        parts.append(json.dumps({"type": "Feature", "properties": properties,
                                 "geometry": {"type": "Polygon", "coordinates": [ring(lon, lat)]}},
                                separators=(",", ":")))
    return '{"type":"FeatureCollection","name":"roofs","features":[' + ",".join(parts) + "]}"


class Client:
    def __init__(self, url, headers):
        parsed = urllib.parse.urlparse(url)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=300)
        self.headers = headers

    def get(self, path):
        began = time.perf_counter()
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return elapsed, json.loads(body)


def boxes(n, count, seed):
    """Random boxes holding about 100 objects (10 x 10 squares) inside the grid."""
    side = math.ceil(math.sqrt(n))
    rows = math.ceil(n / side)
    rng = random.Random(seed)
    for _ in range(count):
        column, row = rng.randrange(0, side - 10), rng.randrange(0, max(1, rows - 10))
        lon, lat = LON0 + column * STEP + STEP / 4, LAT0 + row * STEP + STEP / 4
        yield f"{lon:.7f},{lat:.7f},{lon + 10 * STEP - STEP / 2:.7f},{lat + 10 * STEP - STEP / 2:.7f}"


def half(n):
    side = math.ceil(math.sqrt(n))
    rows = math.ceil(n / side)
    return f"{LON0},{LAT0},{LON0 + side * STEP / 2},{LAT0 + rows * STEP}"


def percentiles(samples):
    ordered = sorted(samples)
    return {"p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]}


def measure(client, items, n, requests, next_of):
    """p50/p99 of first pages of small boxes, of a half-layer box, and of second pages."""
    small, returned = [], []
    for box in boxes(n, requests, 7):
        elapsed, page = client.get(f"{items}?bbox={box}&limit=100")
        small.append(elapsed)
        returned.append(len(page["features"]))
    large, second = [], []
    for _ in range(max(20, requests // 5)):
        elapsed, page = client.get(f"{items}?bbox={half(n)}&limit=100")
        large.append(elapsed)
        link = next_of(page)
        if link:
            elapsed, _ = client.get(link)
            second.append(elapsed)
    return {"small": percentiles(small), "returned_mean": statistics.mean(returned),
            "half": percentiles(large), "second": percentiles(second) if second else None}


def swath_next(page):
    for link in page.get("links", []):
        if link.get("rel") == "next":
            parsed = urllib.parse.urlparse(link["href"])
            return parsed.path + "?" + parsed.query
    return None


def make_workspace(cluster, scene, n, postgres):
    if postgres:
        cluster.postgres()
        cluster.run([cluster.binary, "init", cluster.workspace, "--store", cluster.store])
    else:
        cluster.run([cluster.binary, "init", cluster.workspace])
    cluster.swath("image", "add", scene, "--name", "town")
    cluster.swath("task", "create", "--image", "town", "--region", "all", "--labels", "building,vehicle",
                  "--chip-size", "256", "--overlap", "0", "--replicas", "1", "--name", "roofs")
    token = cluster.swath("user", "add", "lena", "--role", "analyst")
    result = run_result(n)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    if postgres:
        path = os.path.join(cluster.folder, "run.sql")
        with open(path, "w") as f:
            f.write("INSERT INTO consensus_runs (task_id, parameters, run_at, submission_count, object_count, result, report) "
                    f"SELECT id, '{{}}', '{now}', 0, {n}, $swathrun${result}$swathrun$, '{{}}' FROM tasks WHERE name = 'roofs';\n")
        cluster.run(cluster.psql_base + ["-d", "swath", "-f", path])
    else:
        db = sqlite3.connect(os.path.join(cluster.workspace, "swath.sqlite"))
        db.execute("INSERT INTO consensus_runs (task_id, parameters, run_at, submission_count, object_count, result, report) "
                   "SELECT id, '{}', ?, 0, ?, ?, '{}' FROM tasks WHERE name = 'roofs'", (now, n, result))
        db.commit()
        db.close()
    return token


def pygeoapi_table(cluster, n):
    """The same objects as a PostGIS table with a GiST index, for pygeoapi's PostgreSQL provider."""
    path = os.path.join(cluster.folder, "pygeoapi.sql")
    with open(path, "w") as f:
        f.write("CREATE TABLE pygeoapi_objects (id BIGINT PRIMARY KEY, label TEXT, status TEXT, confidence DOUBLE PRECISION, "
                "geom geometry(MultiPolygon, 4326));\nCOPY pygeoapi_objects FROM STDIN;\n")
        for i, lon, lat, label in grid(n):
            coordinates = ",".join(f"{x} {y}" for x, y in ring(lon, lat))
            f.write(f"{i}\t{label}\taccepted\t0.97\tSRID=4326;MULTIPOLYGON((({coordinates})))\n")
        f.write("\\.\nCREATE INDEX pygeoapi_objects_geom ON pygeoapi_objects USING GIST (geom);\nANALYZE pygeoapi_objects;\n")
    cluster.run(cluster.psql_base + ["-d", "swath", "-f", path])


def start_pygeoapi(cluster, venv):
    folder = cluster.folder
    config = os.path.join(folder, "pygeoapi.yml")
    port = cluster_demo.free_port()
    with open(config, "w") as f:
        f.write(f"""server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 100, max_items: 10000}}
  map: {{url: "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png", attribution: OSM}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme, terms_of_service: none, url: http://example.org}}
  license: {{name: none, url: http://example.org}}
  provider: {{name: bench, url: http://example.org}}
  contact: {{name: bench}}
resources:
  objects:
    type: collection
    title: objects
    description: the same objects
    keywords: [objects]
    extents:
      spatial: {{bbox: [-180, -90, 180, 90], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: 127.0.0.1, port: {cluster.pg_port}, dbname: swath, user: postgres, password: ''}}
        id_field: id
        table: pygeoapi_objects
        geom_field: geom
""")
    openapi = os.path.join(folder, "pygeoapi-openapi.yml")
    environment = dict(os.environ, PYGEOAPI_CONFIG=config, PYGEOAPI_OPENAPI=openapi)
    with open(openapi, "w") as out:
        subprocess.run([os.path.join(venv, "bin", "pygeoapi"), "openapi", "generate", config],
                       stdout=out, check=True, env=environment)
    process = subprocess.Popen(
        [os.path.join(venv, "bin", "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "pygeoapi.flask_app:APP"],
        env=environment, stdout=open(os.path.join(folder, "pygeoapi.out"), "w"),
        stderr=open(os.path.join(folder, "pygeoapi.err"), "w"), stdin=subprocess.DEVNULL)
    cluster.processes["pygeoapi"] = process
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        try:
            Client(url, {}).get("/collections/objects")
            return url
        except (OSError, RuntimeError):
            time.sleep(0.2)
    raise RuntimeError("pygeoapi did not start: " + open(os.path.join(folder, "pygeoapi.err")).read()[-2000:])


def pygeoapi_next(page):
    for link in page.get("links", []):
        if link.get("rel") == "next" and "json" in link.get("type", "json"):
            parsed = urllib.parse.urlparse(link["href"])
            return parsed.path + "?" + parsed.query
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(cluster_demo.ROOT, ".build/release/swath"))
    parser.add_argument("--objects", type=int, default=250_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pygeoapi-venv", default=os.path.join(cluster_demo.ROOT, "tools/.venv-pygeoapi"))
    parser.add_argument("--skip-pygeoapi", action="store_true")
    options = parser.parse_args()
    n = options.objects
    top = tempfile.mkdtemp(prefix="swath-bench-features-")
    os.chmod(top, 0o755)  # the PostgreSQL cluster runs as its own user
    clusters = []
    results = {}
    try:
        scene_folder = os.path.join(top, "scene")
        subprocess.run([options.binary, "scene", scene_folder, "--size", "512"], check=True, capture_output=True)
        scene = os.path.join(scene_folder, "town.tif")
        for backend in ("sqlite", "postgres"):
            folder = os.path.join(top, backend)
            os.makedirs(folder)
            cluster = cluster_demo.Cluster(folder, options.binary)
            clusters.append(cluster)
            cluster.workspace = os.path.join(folder, "workspace")
            token = make_workspace(cluster, scene, n, backend == "postgres")
            url = cluster.serve("serve")
            client = Client(url, {"Authorization": f"Bearer {token}"})
            build, collection = client.get("/ogc/collections/roofs")
            _, whole = client.get("/ogc/collections/roofs/items?limit=1")
            if whole["numberMatched"] != n:
                raise RuntimeError(f"{backend}: numberMatched {whole['numberMatched']}, expected {n}")
            results[f"swath ({backend})"] = dict(
                measure(client, "/ogc/collections/roofs/items", n, options.requests, swath_next), build_s=build)
            if backend == "postgres" and not options.skip_pygeoapi:
                pygeoapi_table(cluster, n)
                url = start_pygeoapi(cluster, options.pygeoapi_venv)
                client = Client(url, {"Accept": "application/geo+json"})
                _, page = client.get("/collections/objects/items?f=json&limit=1")
                results["pygeoapi (postgres)"] = measure(
                    client, "/collections/objects/items", n, options.requests, pygeoapi_next)
        print(f"\n== OGC API – Features, first page (limit=100) of a bbox query on {n:,} objects, "
              f"{options.requests} requests, one client, {os.cpu_count()} cores")
        print(f"{'server':<22} {'box~100 p50':>12} {'p99':>8} {'half p50':>9} {'p99':>8} {'page 2 p50':>11} {'p99':>8}  layer build")
        for name, r in results.items():
            second = r["second"] or {"p50_ms": float("nan"), "p99_ms": float("nan")}
            build = f"{r['build_s']:.1f} s" if "build_s" in r else "-"
            print(f"{name:<22} {r['small']['p50_ms']:>12.1f} {r['small']['p99_ms']:>8.1f} {r['half']['p50_ms']:>9.1f} "
                  f"{r['half']['p99_ms']:>8.1f} {second['p50_ms']:>11.1f} {second['p99_ms']:>8.1f}  {build}")
        print(f"(mean features per small-box page: "
              + ", ".join(f"{name} {r['returned_mean']:.1f}" for name, r in results.items()) + ")")
        if "pygeoapi (postgres)" in results:
            theirs = results["pygeoapi (postgres)"]["small"]["p50_ms"]
            for name in ("swath (sqlite)", "swath (postgres)"):
                print(f"{name} vs pygeoapi, small-box p50: {theirs / results[name]['small']['p50_ms']:.1f}x faster")
        worst = max(r["small"]["p99_ms"] for name, r in results.items() if name.startswith("swath"))
        print(f"target: first page under 50 ms -> {'met' if worst < 50 else 'NOT met'} (worst swath p99 {worst:.1f} ms)")
        return 0
    finally:
        for cluster in clusters:
            cluster.stop()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

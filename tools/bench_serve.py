"""Clients for tools/bench-serve: simulated annotators against `swath serve` and Label Studio.

Standard library only (http.client, threading), so the same client drives both servers. Every
simulated annotator keeps one HTTP/1.1 connection and loops: take a chip, GET its PNG, POST a
file of 40 shapes (20 building polygons, 20 vehicle boxes, inside 200 px of the chip), timing
the POST. Shapes are drawn from a seeded generator: the same run draws the same files.

  bench_serve.py swath-run URL TOKENS_FILE K SECONDS OUT.json
  bench_serve.py png-run URL TOKEN PATHS_FILE K SECONDS OUT.json     (GET hammer, swath or LS)
  bench_serve.py swath-status URL ANALYST_TOKEN TASK                   (prints accepted)
  bench_serve.py ls-setup URL TOKEN CHIPS_DIR DOC_ROOT K_MAX OUT.json
  bench_serve.py ls-run URL TOKEN SETUP.json K SECONDS OUT.json
  bench_serve.py ls-count URL TOKEN PROJECT                            (prints stored annotations)
  bench_serve.py chip-run URL AUTH PATHS_FILE K SECONDS OUT.json       (timed GETs of chip PNGs)

`tools/bench-serve chips` checks the chips' pixels with chip_check.py (GDAL's Python bindings).
"""

import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

CHIP = 256  # chip size in pixels; shapes stay inside the first 200 px


def shapes(rng):
    """40 shapes in a 8 x 5 grid of 25 x 40 px cells inside 200 x 200 px: (label, ring) in pixels."""
    out = []
    for i in range(40):
        cx, cy = (i % 8) * 25, (i // 8) * 40
        w, h = rng.uniform(8, 20), rng.uniform(10, 32)
        x0, y0 = cx + rng.uniform(1, 23 - w), cy + rng.uniform(1, 38 - h)
        if i % 2 == 0:  # a building: an L or a rectangle
            if rng.random() < 0.5:
                a, b = x0 + w * rng.uniform(0.4, 0.7), y0 + h * rng.uniform(0.4, 0.7)
                ring = [(x0, y0), (x0 + w, y0), (x0 + w, b), (a, b), (a, y0 + h), (x0, y0 + h)]
            else:
                ring = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
            out.append(("building", ring))
        else:
            ring = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
            out.append(("vehicle", ring))
    return out


def swath_body(rng):
    features = []
    for label, ring in shapes(rng):
        coordinates = [[round(x, 2), round(y, 2)] for x, y in ring]
        coordinates.append(coordinates[0])
        features.append({"type": "Feature", "properties": {"label": label},
                         "geometry": {"type": "Polygon", "coordinates": [coordinates]}})
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def ls_result(rng):
    """The same 40 shapes as Label Studio result regions, in percent of the chip."""
    result = []
    pct = lambda v: round(100.0 * v / CHIP, 4)
    for n, (label, ring) in enumerate(shapes(rng)):
        common = {"id": f"r{n}", "from_name": "label" if label == "building" else "box",
                  "to_name": "image", "original_width": CHIP, "original_height": CHIP,
                  "image_rotation": 0}
        if label == "building":
            common.update(type="polygonlabels", value={
                "points": [[pct(x), pct(y)] for x, y in ring], "closed": True,
                "polygonlabels": ["building"]})
        else:
            (x0, y0), (x1, _), (_, y1) = ring[0], ring[1], ring[2]
            common.update(type="rectanglelabels", value={
                "x": pct(x0), "y": pct(y0), "width": pct(x1 - x0), "height": pct(y1 - y0),
                "rotation": 0, "rectanglelabels": ["vehicle"]})
        result.append(common)
    return result


class Client:
    def __init__(self, url, auth):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.auth = auth
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        all_headers = {"Authorization": self.auth}
        all_headers.update(headers or {})
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def summarize(latencies, acknowledged, errors, seconds, extra=None):
    result = {"submissions": len(latencies), "acknowledged": acknowledged, "errors": errors,
              "seconds": seconds, "per_second": acknowledged / seconds if seconds else 0.0,
              "p50_ms": 1000 * percentile(latencies, 50), "p99_ms": 1000 * percentile(latencies, 99)}
    result.update(extra or {})
    return result


def run_threads(k, seconds, worker):
    """K workers until the deadline; returns their combined lists and the wall time."""
    deadline = time.monotonic() + seconds
    results = [None] * k
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, worker(i, deadline)))
               for i in range(k)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - start


def swath_run(url, tokens_file, k, seconds, out):
    tokens = [line.split("\t")[1].strip() for line in open(tokens_file) if line.strip()]
    task = "roofs"

    def worker(i, deadline):
        # Worker i is annotator i; when that annotator has answered every chip (204), it goes on as
        # annotator i + K, i + 2K, … (one at a time), so K = 1 can run longer than one person's chips.
        mine = tokens[i::k]
        client = Client(url, "Bearer " + mine.pop(0))
        rng = random.Random(1000 + i)
        latencies, acknowledged, errors, pngs, exhausted = [], 0, [], 0, False
        n = 0
        while time.monotonic() < deadline:
            # No Idempotency-Key: asking again for a lease is safe (it answers the running one).
            status, data = client.request("POST", f"/api/v1/tasks/{task}/leases")
            if status == 204:
                if mine:
                    client.auth = "Bearer " + mine.pop(0)
                    continue
                exhausted = True
                break
            if status != 200:
                errors.append(f"lease {status} {data[:200]!r}")
                break
            chip = json.loads(data)["chip"]
            status, data = client.request("GET", f"/api/v1/tasks/{task}/chips/{chip}.png")
            if status != 200 or not data.startswith(b"\x89PNG"):
                errors.append(f"png {status}")
                break
            pngs += 1
            body = swath_body(rng)
            began = time.monotonic()
            status, data = client.request(
                "POST", f"/api/v1/tasks/{task}/chips/{chip}/submissions?coordinates=pixel", body=body,
                headers={"Content-Type": "application/geo+json", "Idempotency-Key": f"sub-{k}-{i}-{n}"})
            latencies.append(time.monotonic() - began)
            if status == 201:
                acknowledged += 1
            else:
                errors.append(f"submission {status} {data[:300]!r}")
            n += 1
        return latencies, acknowledged, errors, pngs, exhausted

    results, wall = run_threads(k, seconds, worker)
    latencies = [x for r in results for x in r[0]]
    errors = [e for r in results for e in r[2]]
    summary = summarize(latencies, sum(r[1] for r in results), len(errors), wall,
                        {"png_gets": sum(r[3] for r in results),
                         "exhausted": sum(1 for r in results if r[4]), "first_errors": errors[:5]})
    json.dump(summary, open(out, "w"), indent=1)


def png_run(url, auth, paths_file, k, seconds, out):
    paths = [line.strip() for line in open(paths_file) if line.strip()]

    def worker(i, deadline):
        client = Client(url, auth)
        count, failures, size, n = 0, 0, 0, i
        while time.monotonic() < deadline:
            status, data = client.request("GET", paths[n % len(paths)])
            n += k
            if status == 200:
                count += 1
                size += len(data)
            else:
                failures += 1
        return count, failures, size

    results, wall = run_threads(k, seconds, worker)
    count = sum(r[0] for r in results)
    json.dump({"gets": count, "failures": sum(r[1] for r in results), "seconds": wall,
               "per_second": count / wall, "mean_bytes": sum(r[2] for r in results) / max(count, 1)},
              open(out, "w"), indent=1)


def chip_run(url, auth, paths_file, k, seconds, out):
    """K clients GET the paths in turn (client i takes i, i + K, ...), each GET timed."""
    paths = [line.strip() for line in open(paths_file) if line.strip()]

    def worker(i, deadline):
        client = Client(url, auth)
        latencies, failures, n = [], 0, i
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, data = client.request("GET", paths[n % len(paths)])
            n += k
            if status == 200 and data[:4] == b"\x89PNG":
                latencies.append(time.monotonic() - started)
            else:
                failures += 1
        return latencies, failures

    results, wall = run_threads(k, seconds, worker)
    latencies = [t for r in results for t in r[0]]
    json.dump({"chips": len(latencies), "failures": sum(r[1] for r in results), "seconds": wall,
               "per_second": len(latencies) / wall, "p50_ms": 1000 * percentile(latencies, 50),
               "p99_ms": 1000 * percentile(latencies, 99)}, open(out, "w"), indent=1)


def swath_status(url, token, task):
    status, data = Client(url, "Bearer " + token).request("GET", f"/api/v1/tasks/{task}/status")
    if status != 200:
        sys.exit(f"status {status}: {data[:300]!r}")
    print(json.loads(data)["submissions"]["accepted"])


LABEL_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <PolygonLabels name="label" toName="image">
    <Label value="building"/><Label value="vehicle"/>
  </PolygonLabels>
  <RectangleLabels name="box" toName="image">
    <Label value="building"/><Label value="vehicle"/>
  </RectangleLabels>
</View>"""


def ls_json(client, method, path, payload=None, expect=(200, 201)):
    body = json.dumps(payload).encode() if payload is not None else None
    status, data = client.request(method, path, body=body, headers={"Content-Type": "application/json"})
    if status not in expect:
        sys.exit(f"Label Studio {method} {path}: {status} {data[:500]!r}")
    return json.loads(data) if data else None


def ls_setup(url, token, chips_dir, doc_root, k_max, out):
    """A project with polygon and rectangle labels, local-file storage over the chip folder, one task
    per chip PNG; a fresh project per run so counts start at zero."""
    client = Client(url, "Token " + token)
    project = ls_json(client, "POST", "/api/projects/", {
        "title": f"bench-serve {time.strftime('%H:%M:%S')}", "label_config": LABEL_CONFIG,
        "maximum_annotations": 1000})
    pid = project["id"]
    chips = sorted(p for p in os.listdir(chips_dir) if p.endswith(".png"))
    relative = os.path.relpath(os.path.abspath(chips_dir), os.path.abspath(doc_root))
    ls_json(client, "POST", "/api/storages/localfiles/", {
        "project": pid, "path": os.path.abspath(chips_dir), "title": "chips", "use_blob_urls": False,
        "regex_filter": ".*png"})
    tasks = [{"image": "/data/local-files/?d=" + urllib.parse.quote(f"{relative}/{name}")}
             for name in chips]
    ls_json(client, "POST", f"/api/projects/{pid}/import", tasks)
    ids = []
    page = 1
    while True:
        status, data = client.request("GET", f"/api/tasks/?project={pid}&page_size=1000&page={page}")
        if status != 200:
            break
        items = json.loads(data)
        items = items.get("tasks", items) if isinstance(items, dict) else items
        if not items:
            break
        ids += [(t["id"], t["data"]["image"]) for t in items]
        if len(items) < 1000:
            break
        page += 1
    json.dump({"project": pid, "tasks": ids}, open(out, "w"))
    print(pid, len(ids))


def ls_run(url, token, setup_file, k, seconds, out):
    setup = json.load(open(setup_file))
    tasks = setup["tasks"]

    def worker(i, deadline):
        client = Client(url, "Token " + token)
        rng = random.Random(1000 + i)
        latencies, acknowledged, errors, pngs, n = [], 0, [], 0, 0
        while time.monotonic() < deadline:
            # The next chip of this annotator: tasks dealt round robin, like leases spread chips.
            task_id, image = tasks[(i + n * k) % len(tasks)]
            status, data = client.request("GET", image)
            if status != 200 or not data.startswith(b"\x89PNG"):
                errors.append(f"png {status} {data[:200]!r}")
                break
            pngs += 1
            body = json.dumps({"result": ls_result(rng), "lead_time": 1.0}).encode()
            began = time.monotonic()
            status, data = client.request("POST", f"/api/tasks/{task_id}/annotations/", body=body,
                                          headers={"Content-Type": "application/json"})
            latencies.append(time.monotonic() - began)
            if status == 201:
                acknowledged += 1
            else:
                errors.append(f"annotation {status} {data[:300]!r}")
            n += 1
        return latencies, acknowledged, errors, pngs

    results, wall = run_threads(k, seconds, worker)
    latencies = [x for r in results for x in r[0]]
    errors = [e for r in results for e in r[2]]
    json.dump(summarize(latencies, sum(r[1] for r in results), len(errors), wall,
                        {"png_gets": sum(r[3] for r in results), "first_errors": errors[:5]}),
              open(out, "w"), indent=1)


def ls_count(url, token, project):
    client = Client(url, "Token " + token)
    data = ls_json(client, "GET", f"/api/projects/{project}/")
    # Also count through the tasks list, which reads the annotations table directly.
    total, page = 0, 1
    while True:
        status, body = client.request("GET", f"/api/tasks/?project={project}&page_size=500&page={page}")
        if status != 200:
            break
        items = json.loads(body)
        items = items.get("tasks", items) if isinstance(items, dict) else items
        if not items:
            break
        total += sum(t.get("total_annotations", 0) for t in items)
        if len(items) < 500:
            break
        page += 1
    print(data.get("total_annotations_number"), total)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "swath-run":
        swath_run(args[0], args[1], int(args[2]), float(args[3]), args[4])
    elif command == "png-run":
        png_run(args[0], args[1], args[2], int(args[3]), float(args[4]), args[5])
    elif command == "chip-run":
        chip_run(args[0], args[1], args[2], int(args[3]), float(args[4]), args[5])
    elif command == "swath-status":
        swath_status(*args)
    elif command == "ls-setup":
        ls_setup(args[0], args[1], args[2], args[3], int(args[4]), args[5])
    elif command == "ls-run":
        ls_run(args[0], args[1], args[2], int(args[3]), float(args[4]), args[5])
    elif command == "ls-count":
        ls_count(*args)
    else:
        sys.exit(__doc__)

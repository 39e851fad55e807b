#!/usr/bin/env python3
"""Swath on more than one node, with faults: a PostgreSQL cluster, nginx serving the scene as a
Cloud-Optimized GeoTIFF, two `swath serve` nodes and one `swath worker`, all on loopback. K
simulated annotators lease and answer chips through both nodes; in the middle one node and the
worker are killed with SIGKILL (a consensus job running) and restarted. Then it checks that every
acknowledged submission is stored exactly once, every lease was completed or went back to the
pool, the interrupted consensus job finished once, and no row is duplicated.

Run by tools/cluster-demo (and, smaller, by the test suite). Exits 1 when a check fails."""

import argparse
import glob
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(text):
    print(f"cluster-demo: {text}", flush=True)


class Cluster:
    """Processes started here, stopped on exit whatever happens."""

    def __init__(self, folder, binary):
        self.folder = folder
        self.binary = binary
        self.processes = {}
        self.pg_bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1]
        self.as_root = os.getuid() == 0

    def run(self, arguments, **kwargs):
        result = subprocess.run(arguments, capture_output=True, text=True, **kwargs)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(arguments)}: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def swath(self, *arguments):
        return self.run([self.binary, *arguments, "--workspace", self.workspace]).strip()

    def postgres(self):
        data = os.path.join(self.folder, "pg")
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        if self.as_root:
            os.chmod(self.folder, 0o755)
            os.makedirs(data)
            shutil.chown(data, "postgres")
        self.pg_port = free_port()
        self.run(prefix + [f"{self.pg_bin}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                           "--locale=C", "--no-sync"])
        # pg_ctl leaves the server running: its output goes to a file, not to a pipe we wait on.
        with open(os.path.join(self.folder, "pg.log"), "w") as log:
            subprocess.run(prefix + [f"{self.pg_bin}/pg_ctl", "start", "-w", "-D", data, "-o",
                                     f"-k {data} -c listen_addresses=127.0.0.1 -p {self.pg_port} -F"],
                           stdout=log, stderr=log, check=True)
        self.pg_stop = prefix + [f"{self.pg_bin}/pg_ctl", "stop", "-D", data, "-m", "immediate"]
        self.psql_base = [f"{self.pg_bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                          "-p", str(self.pg_port), "-U", "postgres"]
        self.run(self.psql_base + ["-d", "postgres", "-c", "CREATE DATABASE swath"])
        self.store = f"postgres://postgres@127.0.0.1:{self.pg_port}/swath"

    def sql(self, query):
        return self.run(self.psql_base + ["-d", "swath", "-c", query]).strip()

    def nginx(self, scene):
        www = os.path.join(self.folder, "www")
        os.makedirs(www)
        os.chmod(www, 0o755)
        self.run(["gdal_translate", "-q", "-of", "COG", "-co", "COMPRESS=DEFLATE", scene,
                  os.path.join(www, "scene.tif")])
        os.chmod(os.path.join(www, "scene.tif"), 0o644)
        port = free_port()
        conf = os.path.join(self.folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
pid {self.folder}/nginx.pid;
error_log {self.folder}/nginx.err;
events {{}}
http {{
  access_log off;
  client_body_temp_path {self.folder}/nginx-body;
  proxy_temp_path {self.folder}/nginx-proxy;
  fastcgi_temp_path {self.folder}/nginx-fastcgi;
  uwsgi_temp_path {self.folder}/nginx-uwsgi;
  scgi_temp_path {self.folder}/nginx-scgi;
  server {{ listen 127.0.0.1:{port}; root {www}; }}
}}
""")
        self.start("nginx", ["nginx", "-c", conf, "-p", self.folder])
        self.scene_url = f"http://127.0.0.1:{port}/scene.tif"
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("HEAD", "/scene.tif")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    def start(self, name, arguments):
        out = open(os.path.join(self.folder, f"{name}.out"), "w")
        err = open(os.path.join(self.folder, f"{name}.err"), "a")
        self.processes[name] = subprocess.Popen(arguments, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        return self.processes[name]

    def serve(self, name, port=0):
        process = self.start(name, [self.binary, "serve", "--workspace", self.workspace, "--port", str(port),
                                    "--no-jobs", "--max-failed-logins", "100000"])
        out = os.path.join(self.folder, f"{name}.out")
        deadline = time.time() + 60
        while time.time() < deadline and process.poll() is None:
            for line in reversed(open(out).read().splitlines()):
                if "listening on http://" in line:
                    return line.split("listening on ")[1].split(" ")[0]
            time.sleep(0.05)
        raise RuntimeError(f"{name} printed no address: {open(os.path.join(self.folder, name + '.err')).read()}")

    def worker(self):
        return self.start("worker", [self.binary, "worker", "--workspace", self.workspace,
                                     "--heartbeat-seconds", "1", "--lapse-seconds", "4", "--poll-seconds", "0.2"])

    def kill(self, name):
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if hasattr(self, "pg_stop"):
            subprocess.run(self.pg_stop, capture_output=True)


def request(url, method, path, token, body=None, headers=None, timeout=30):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    all_headers = {"Authorization": f"Bearer {token}"}
    all_headers.update(headers or {})
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def square(rng):
    # Inside the first 100 px: an edge chip may show the scene only there.
    x, y = rng.uniform(5, 60), rng.uniform(5, 60)
    ring = [[x, y], [x + 30, y], [x + 30, y + 30], [x, y + 30], [x, y]]
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"label": "building"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]})


RETRIES = []


def annotate(index, name, token, nodes, stop, acknowledged, errors, lock):
    """Leases a chip, fetches its picture, answers it; on a dead node, the same request (and the
    same Idempotency-Key) goes to the other node."""
    rng = random.Random(index)
    node = index % 2
    n = 0

    def call(method, path, **kwargs):
        nonlocal node
        for attempt in range(6):
            try:
                status, data = request(nodes[node], method, path, token, **kwargs)
                if status != 503:
                    return status, data
            except OSError:
                pass
            with lock:
                RETRIES.append(path)
            node = 1 - node
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"{method} {path}: no node answered")

    held = None
    while not stop.is_set():
        try:
            status, data = call("POST", "/api/v1/tasks/roofs/leases")
            if status == 204:
                time.sleep(0.3)
                continue
            if status != 200:
                raise RuntimeError(f"lease {status} {data[:200]!r}")
            lease = json.loads(data)
            chip, held = lease["chip"], lease["id"]
            if stop.is_set():
                break
            status, data = call("GET", f"/api/v1/tasks/roofs/chips/{chip}.png")
            if status != 200 or not data.startswith(b"\x89PNG"):
                raise RuntimeError(f"chip {chip}: {status} {data[:200]!r}")
            key = f"{name}-{n}"
            n += 1
            status, data = call("POST", f"/api/v1/tasks/roofs/chips/{chip}/submissions?coordinates=pixel",
                                body=square(rng),
                                headers={"Content-Type": "application/geo+json", "Idempotency-Key": key})
            if status != 201:
                raise RuntimeError(f"submission {chip}: {status} {data[:300]!r}")
            held = None
            with lock:
                acknowledged.extend((name, chip, key, result["id"]) for result in json.loads(data)["results"])
        except Exception as error:  # noqa: BLE001 - every failure is reported, none is fatal here
            with lock:
                errors.append(f"{name}: {error}")
            time.sleep(0.5)
    # Going home: the chip in hand goes back to the pool.
    if held is not None:
        status, data = call("POST", f"/api/v1/leases/{held}/release")
        if status not in (200, 204, 409):
            with lock:
                errors.append(f"{name}: release {status} {data[:200]!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/swath"))
    parser.add_argument("--annotators", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--scene-size", type=int, default=3072)
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, database) afterwards")
    options = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="swath-cluster-")
    cluster = Cluster(folder, options.binary)
    cluster.workspace = os.path.join(folder, "workspace")
    failures = []
    try:
        say(f"folder {folder}")
        cluster.postgres()
        say(f"PostgreSQL on 127.0.0.1:{cluster.pg_port}")
        scene_dir = os.path.join(folder, "scene")
        cluster.run([options.binary, "scene", scene_dir, "--size", str(options.scene_size), "--seed", "7"])
        cluster.nginx(os.path.join(scene_dir, "town.tif"))
        say(f"nginx serves the scene as a COG at {cluster.scene_url}")
        cluster.run([options.binary, "init", cluster.workspace, "--store", cluster.store])
        cluster.swath("image", "add", cluster.scene_url, "--name", "town")
        admin = cluster.swath("user", "add", "admin", "--role", "admin")
        tokens = {f"a{i}": cluster.swath("user", "add", f"a{i}", "--role", "annotator")
                  for i in range(options.annotators)}

        nodes = [cluster.serve("node-a"), cluster.serve("node-b")]
        cluster.worker()
        say(f"nodes {nodes[0]} and {nodes[1]}, one worker")
        # The task is cut by the worker: a job queued through a node.
        status, data = request(nodes[0], "POST", "/api/v1/tasks", admin, body=json.dumps({
            "name": "roofs", "image": "town", "labels": ["building"], "chip_size": 256, "replicas": 2,
            "distribution": "leased", "lease_seconds": 60, "chips": "on-demand"}), headers={"Content-Type": "application/json"})
        if status != 202:
            raise RuntimeError(f"task creation: {status} {data[:300]!r}")
        job = json.loads(data)["id"]
        deadline = time.time() + 120
        while time.time() < deadline:
            state = json.loads(request(nodes[1], "GET", f"/api/v1/jobs/{job}", admin)[1])["state"]
            if state in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        if state != "succeeded":
            raise RuntimeError(f"task creation job ended {state}")
        say("task 'roofs' made by the worker, its chips rendered on demand from the scene's URL")

        stop = threading.Event()
        acknowledged, errors, lock = [], [], threading.Lock()
        threads = [threading.Thread(target=annotate, args=(i, name, token, nodes, stop, acknowledged, errors, lock))
                   for i, (name, token) in enumerate(sorted(tokens.items()))]
        for thread in threads:
            thread.start()
        time.sleep(options.seconds / 3)

        # A consensus job, then the worker running it and node A are killed.
        status, data = request(nodes[1], "POST", "/api/v1/tasks/roofs/consensus", admin, body="{}",
                               headers={"Content-Type": "application/json"})
        if status != 202:
            raise RuntimeError(f"consensus: {status} {data[:300]!r}")
        consensus = json.loads(data)["id"]
        deadline = time.time() + 10
        while time.time() < deadline:
            view = json.loads(request(nodes[1], "GET", f"/api/v1/jobs/{consensus}", admin)[1])
            if view["state"] != "queued":
                break
            time.sleep(0.02)
        interrupted = view["state"] == "running"
        cluster.kill("worker")
        cluster.kill("node-a")
        say(f"killed node A and the worker (SIGKILL); the consensus job was {view['state']}")
        time.sleep(2)
        nodes[0] = cluster.serve("node-a", port=urllib.parse.urlsplit(nodes[0]).port)
        cluster.worker()
        say(f"restarted node A at {nodes[0]} and the worker")
        time.sleep(options.seconds * 2 / 3)
        stop.set()
        for thread in threads:
            thread.join()

        deadline = time.time() + 60
        while time.time() < deadline:
            view = json.loads(request(nodes[0], "GET", f"/api/v1/jobs/{consensus}", admin)[1])
            if view["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        say(f"consensus job #{consensus}: {view['state']} {json.dumps(view.get('result'))}")

        # The checks, on the database itself.
        def check(ok, text):
            say(("ok    " if ok else "FAILED ") + text)
            if not ok:
                failures.append(text)

        ids = [entry[3] for entry in acknowledged]
        check(len(acknowledged) > 0, f"{len(acknowledged)} submissions acknowledged by the nodes")
        if ids:
            stored = cluster.sql(f"SELECT COUNT(*) FROM submissions WHERE id IN ({','.join(map(str, ids))})")
            check(int(stored) == len(set(ids)) == len(ids),
                  f"every acknowledged submission stored exactly once ({stored} rows for {len(ids)} answers)")
        keys = cluster.sql("SELECT COUNT(*) FROM idempotency_keys WHERE status = 201")
        answers = len({entry[2] for entry in acknowledged})
        check(int(keys) == answers, f"one idempotency record per acknowledged request ({keys} for {answers})")
        doubles = cluster.sql("""SELECT COUNT(*) FROM (SELECT task_id, chip_id, annotator FROM submissions
                                 WHERE status = 'accepted' GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) AS d""")
        check(doubles == "0", "no annotator has two accepted answers on a chip")
        chips = cluster.sql("SELECT COUNT(*) FROM (SELECT task_id, chip_key FROM chips GROUP BY 1, 2"
                            " HAVING COUNT(*) > 1) AS d")
        check(chips == "0", "no chip row is duplicated")
        check(view["state"] == "succeeded", f"the interrupted consensus job finished ({view['state']})")
        runs = cluster.sql(f"SELECT COUNT(*) FROM audit_log WHERE action = 'consensus.run'"
                           f" AND command = 'job #{consensus}'")
        check(runs == "1", f"the consensus job recorded one run ({runs})")
        # Each annotator answered or released every chip it leased, whichever node it went through.
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        open_leases = cluster.sql(f"SELECT COUNT(*) FROM leases WHERE ended_at IS NULL AND expires_at > '{now}'")
        ended = cluster.sql("SELECT end_reason || ' ' || COUNT(*) FROM leases GROUP BY end_reason ORDER BY 1")
        check(open_leases == "0", f"every lease completed or returned to the pool ({', '.join(ended.splitlines())})")
        say(f"requests sent again to the other node (a dead node, or 503): {len(RETRIES)}")
        say(f"annotator errors: {len(errors)}" + (f"; first: {errors[0]}" if errors else ""))
        say(f"interrupted while running: {interrupted}")
    except Exception as error:  # noqa: BLE001
        failures.append(str(error))
        say(f"FAILED: {error}")
    finally:
        cluster.stop()
        if options.keep or failures:
            say(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    say("PASS" if not failures else f"FAIL ({len(failures)} checks)")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""tools/bench-serve postgres: K simulated annotators submitting to `swath serve` on one
PostgreSQL database, through one node and then through two nodes (K/2 each), in the same run;
prints submissions/s, p50/p99 of the POST and the scaling two nodes give, and checks that every
acknowledged submission is stored.

usage: tools/bench-serve postgres [--seconds S] [--annotators K] [--binary PATH]"""

import argparse
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_serve  # noqa: E402
import cluster_demo  # noqa: E402


def run(nodes, tokens, task, seconds):
    """K threads, thread i through node i % len(nodes), until the deadline."""
    deadline = time.monotonic() + seconds
    latencies, acknowledged, errors, lock = [], [], [], threading.Lock()

    def worker(i):
        client = bench_serve.Client(nodes[i % len(nodes)], "Bearer " + tokens[i])
        rng = random.Random(i)
        n = 0
        while time.monotonic() < deadline:
            status, data = client.request("POST", f"/api/v1/tasks/{task}/leases")
            if status == 204:
                with lock:
                    errors.append("ran out of chips: make the task larger")
                return
            if status != 200:
                with lock:
                    errors.append(f"lease {status} {data[:200]!r}")
                return
            chip = json.loads(data)["chip"]
            body = bench_serve.swath_body(rng)
            began = time.monotonic()
            status, data = client.request(
                "POST", f"/api/v1/tasks/{task}/chips/{chip}/submissions?coordinates=pixel", body=body,
                headers={"Content-Type": "application/geo+json", "Idempotency-Key": f"{task}-{i}-{n}"})
            elapsed = time.monotonic() - began
            n += 1
            with lock:
                latencies.append(elapsed)
                if status == 201:
                    acknowledged.extend(result["id"] for result in json.loads(data)["results"])
                else:
                    errors.append(f"submission {status} {data[:200]!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(tokens))]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - start
    return bench_serve.summarize(latencies, len(acknowledged), len(errors), wall,
                                 {"ids": acknowledged, "first_errors": errors[:3]})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(cluster_demo.ROOT, ".build/release/swath"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--annotators", type=int, default=8)
    options = parser.parse_args()
    import tempfile
    folder = tempfile.mkdtemp(prefix="swath-bench-pg-")
    cluster = cluster_demo.Cluster(folder, options.binary)
    cluster.workspace = os.path.join(folder, "workspace")
    try:
        cluster.postgres()
        scene = os.path.join(folder, "scene")
        cluster.run([options.binary, "scene", scene, "--size", "8192"])
        cluster.run([options.binary, "init", cluster.workspace, "--store", cluster.store])
        cluster.swath("image", "add", os.path.join(scene, "town.tif"), "--name", "town")
        for task in ("one", "two"):
            cluster.swath("task", "create", "--image", "town", "--region", "all", "--labels", "building,vehicle",
                          "--chip-size", "256", "--overlap", "0", "--replicas", "16", "--distribution", "leased",
                          "--lease-time", "2h", "--name", task)
        tokens = [cluster.swath("user", "add", f"annotator{i}", "--role", "annotator")
                  for i in range(options.annotators)]
        nodes = [cluster.serve("node-a"), cluster.serve("node-b")]
        results = {}
        for label, task, used in (("1 node", "one", nodes[:1]), ("2 nodes", "two", nodes)):
            results[label] = run(used, tokens, task, options.seconds)
            stored = cluster.sql(f"SELECT COUNT(*) FROM submissions WHERE id IN "
                                 f"({','.join(map(str, results[label]['ids'])) or '0'})")
            results[label]["stored"] = int(stored)
        cores = os.cpu_count()
        print(f"\n== swath serve on PostgreSQL, K = {options.annotators}, {options.seconds:.0f} s each, {cores} cores"
              " (the database, both nodes and the clients on this machine)")
        print(f"{'configuration':<14} {'subm/s':>8} {'p50 ms':>8} {'p99 ms':>8}  acknowledged / stored")
        bad = 0
        for label, result in results.items():
            ok = result["acknowledged"] == result["stored"] and result["errors"] == 0
            bad += not ok
            print(f"{label:<14} {result['per_second']:>8.1f} {result['p50_ms']:>8.1f} {result['p99_ms']:>8.1f}"
                  f"  {result['acknowledged']} / {result['stored']} {'ok' if ok else 'MISMATCH ' + str(result['first_errors'])}")
        scaling = results["2 nodes"]["per_second"] / results["1 node"]["per_second"]
        print(f"two nodes / one node: {scaling:.2f}x the submissions/s")
        return 1 if bad else 0
    finally:
        cluster.stop()
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

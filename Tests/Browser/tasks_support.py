"""Setting a task's chips into known states through the API, as annotators and reviewers would."""

import json


def box(x0, y0, x1, y1, label="building", roof="flat"):
    """A building drawn as a box, in chip pixels."""
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Feature", "properties": {"label": label, "roof": roof},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def lease_chip(deployment, user, task, chip):
    """Leases `user` chips of `task` until `chip` comes, skipping the others (then never offered
    to them again): the order is the server's, this only walks it."""
    for _ in range(64):
        status, lease = deployment.api(user, f"/tasks/{task}/leases", "POST")
        assert status == 200, f"{user} got no lease ({status}): {lease}"
        if lease["chip"] == chip:
            return lease
        status, body = deployment.api(user, f"/tasks/{task}/chips/{lease['chip']}/flags", "POST", {"kind": "skip"})
        assert status == 201, body
    raise AssertionError(f"{user} was never offered {chip}")


def submit(deployment, user, task, chip, features):
    """Submits shapes in chip pixels; the server must accept them."""
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    status, answer = deployment.api(user, f"/tasks/{task}/chips/{chip}/submissions?coordinates=pixel", "POST", body,
                                    content_type="application/geo+json")
    assert status == 201, answer
    return answer


# What `set_up_states` leaves, chip by chip, and so the counts the page must show.
EXPECTED_STATES = {
    "r0003_c0003": "gold",
    "r0000_c0001": "reviewed",
    "r0000_c0003": "bad_imagery",
    "r0000_c0000": "answered",
    "r0001_c0000": "leased",
    "r0000_c0002": "partly_answered",
}
EXPECTED_COUNTS = {"gold": 1, "reviewed": 1, "bad_imagery": 1, "answered": 1, "leased": 1,
                   "partly_answered": 1, "waiting": 10}


def set_up_states(deployment, town, tmp_path, task="grid"):
    """A leased task over the town in 16 chips of 256 px, 2 replicas, brought to EXPECTED_STATES:
    ana answers three chips, reports bad imagery on a fourth and holds a fifth; ben answers the
    first two and the gold chip; rita validates the second."""
    deployment.swath(
        "task", "create", "--image", "town", "--region", "all", "--labels-file", town / "labels.json",
        "--chip-size", 256, "--overlap", 0, "--replicas", 2, "--distribution", "leased", "--name", task, "--quiet")
    truth = tmp_path / "gold.geojson"
    truth.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    deployment.swath("gold", "add", task, "--truth", truth, "--chips", "r0003_c0003")

    shared = box(40, 50, 120, 130)
    ana_answers = {
        "r0000_c0000": [shared, box(150, 150, 200, 210, roof="gable")],
        "r0000_c0001": [box(20, 20, 90, 80)],
        "r0000_c0002": [box(100, 100, 160, 170)],
    }
    for chip, features in ana_answers.items():
        lease_chip(deployment, "ana", task, chip)
        submit(deployment, "ana", task, chip, features)
    lease_chip(deployment, "ana", task, "r0000_c0003")
    status, body = deployment.api("ana", f"/tasks/{task}/chips/r0000_c0003/flags", "POST",
                                  {"kind": "bad_imagery", "comment": "cloud"})
    assert status == 201, body
    lease_chip(deployment, "ana", task, "r0001_c0000")

    lease_chip(deployment, "ben", task, "r0003_c0003")
    submit(deployment, "ben", task, "r0003_c0003", [box(10, 10, 60, 60)])
    lease_chip(deployment, "ben", task, "r0000_c0000")
    submit(deployment, "ben", task, "r0000_c0000", [shared])
    lease_chip(deployment, "ben", task, "r0000_c0001")
    submit(deployment, "ben", task, "r0000_c0001", [box(22, 21, 90, 80)])

    status, body = deployment.api("rita", f"/tasks/{task}/chips/r0000_c0001/review", "POST", {"verdict": "validated"})
    assert status == 201, body

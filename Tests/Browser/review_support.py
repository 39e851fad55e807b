"""Review work made through the API for the reviewer's page tests: ana and ben answer one chip
of the town from its truth (ben leaves one building out and draws another one shifted), then a
consensus run, so that exactly two objects need a review: one only ana drew, one whose shapes
differ."""

import copy
import json


def centre(feature):
    ring = feature["geometry"]["coordinates"][0]
    return (sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1))


def inside(point, footprint):
    ring = footprint["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs) <= point[0] <= max(xs) and min(ys) <= point[1] <= max(ys)


def shifted(feature, fraction):
    """The feature moved east by `fraction` of its width: the same object, drawn differently."""
    moved = copy.deepcopy(feature)
    ring = moved["geometry"]["coordinates"][0]
    width = max(p[0] for p in ring) - min(p[0] for p in ring)
    moved["geometry"]["coordinates"][0] = [[p[0] + width * fraction, p[1]] for p in ring]
    return moved


def submit(deployment, annotator, task, chip, features):
    status, body = deployment.api(
        annotator, f"/tasks/{task}/chips/{chip}/submissions", "POST",
        {"type": "FeatureCollection", "features": features}, content_type="application/geo+json")
    assert status == 201, body


def prepare_review(deployment, town, task="town"):
    """Submissions from ana and ben on one chip of `task`, then `swath consensus`. Returns the
    chip, the building only ana drew and the one ben drew shifted (truth features, lon/lat)."""
    truth = json.loads((town / "truth.geojson").read_text())
    buildings = [feature for feature in truth["features"] if feature["properties"]["label"] == "building"]
    status, queue = deployment.api("ana", f"/queue?task={task}")
    assert status == 200, queue
    for item in sorted(queue["pending"], key=lambda item: item["chip"]):
        chip = item["chip"]
        status, details = deployment.api("ana", f"/tasks/{task}/chips/{chip}")
        assert status == 200, details
        # Buildings well inside the chip, so that no chip edge cuts them.
        on_chip = [feature for feature in buildings if inside(centre(feature), details["footprint"])
                   and all(inside(p, details["footprint"]) for p in feature["geometry"]["coordinates"][0])]
        if len(on_chip) >= 5:
            break
    else:
        raise AssertionError("no chip of the town holds five buildings")
    chosen = [strip(feature) for feature in on_chip[:5]]
    only_ana, differ = chosen[0], chosen[1]
    submit(deployment, "ana", task, chip, chosen)
    submit(deployment, "ben", task, chip, [shifted(differ, 0.3)] + chosen[2:])
    deployment.swath("consensus", task)
    return {"chip": chip, "only_ana": only_ana, "differ": differ, "agreed": chosen[2:]}


def strip(feature):
    """A truth feature as an annotator submits it: the label, shape and attributes only."""
    properties = {key: value for key, value in feature["properties"].items()
                  if key in ("label", "shape", "roof", "occluded")}
    return {"type": "Feature", "properties": properties, "geometry": feature["geometry"]}


def review_objects(deployment, task="town"):
    status, listing = deployment.api("lena", f"/tasks/{task}/review")
    assert status == 200, listing
    return listing


def object_near(listing, feature):
    """The id of the run's object whose centre lies nearest the feature's."""
    cx, cy = centre(feature)

    def distance(obj):
        geometry = obj["geometry"]
        ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
        x = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        y = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        return (x - cx) ** 2 + (y - cy) ** 2

    return min(listing["objects"], key=distance)["id"]


def chip_frame(deployment, chip, task="town"):
    """Chip pixel → lon/lat from the chip's footprint corners (top-left, top-right, bottom-left)."""
    status, details = deployment.api("rita", f"/tasks/{task}/chips/{chip}")
    assert status == 200, details
    ring = details["footprint"]["coordinates"][0]
    # The footprint is densified, four points per edge: its corners are every fourth point.
    corners = ring[0:16:4] if len(ring) == 17 else ring[:4]
    top = sorted(sorted(corners, key=lambda p: -p[1])[:2])
    bottom = sorted(sorted(corners, key=lambda p: p[1])[:2])
    (tl, tr), bl = top, bottom[0]
    w, h = details["window"]["width"], details["window"]["height"]
    return lambda x, y: (tl[0] + x / w * (tr[0] - tl[0]) + y / h * (bl[0] - tl[0]),
                         tl[1] + x / w * (tr[1] - tl[1]) + y / h * (bl[1] - tl[1]))

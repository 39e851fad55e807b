"""Helper of tools/bench-merge (runs in the benchmark's virtual environment).

usage:
  bench_merge.py intersect-merge OUT.geojson QUORUM ANNOTATOR_UTM.geojson...
      CVAT's consensus engine (datumaro IntersectMerge) on each group of mutually overlapping
      shapes; prints the seconds spent in IntersectMerge and writes its layer (same CRS).
  bench_merge.py score TRUTH_UTM.geojson NAME=LAYER_UTM.geojson...
      F1 at IoU 0.5 against the truth with an optimal one-to-one matching (most matches,
      then most IoU), label-agnostic; one line per layer:
        NAME SHAPES TP FP FN F1 OVERALL ATTRIBUTE=ACCURACY...
      and attribute accuracy over the matched pairs: for each attribute the truth carries (its
      flat properties other than label and shape), the share of pairs whose value equals the
      truth's (a missing value is wrong), and over all of them; "n/a" for a layer that never
      gives the attribute (a consensus without voted attributes).
Inputs are GeoJSON in a metric CRS (tools/bench-merge converts with ogr2ogr).
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely import STRtree
from shapely.geometry import shape, mapping, Polygon, box


def load(path):
    with open(path, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    result = []
    for feature in features:
        props = feature.get("properties") or {}
        geometry = shape(feature["geometry"])
        if not geometry.is_valid or geometry.area <= 0:
            continue
        result.append((geometry, props.get("label"), props.get("shape", "polygon")))
    return result


NOT_ATTRIBUTES = {"label", "shape", "id", "fid"}


def load_attributes(path):
    """Each loadable feature's attributes (scalar properties other than label and shape), in the
    order load() returns the features."""
    with open(path, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    result = []
    for feature in features:
        props = feature.get("properties") or {}
        geometry = shape(feature["geometry"])
        if not geometry.is_valid or geometry.area <= 0:
            continue
        result.append({
            key: value for key, value in props.items()
            if key not in NOT_ATTRIBUTES and value is not None and isinstance(value, (str, bool, int, float))
        })
    return result


def attribute_accuracy(pairs, layer_attributes, truth_attributes, names):
    """{name: accuracy or None} and the overall accuracy (None when the layer gives none)."""
    per = {}
    checked_all = correct_all = 0
    for name in names:
        checked = present = correct = 0
        for row, column in pairs:
            expected = truth_attributes[column].get(name)
            if expected is None:
                continue
            checked += 1
            given = layer_attributes[row].get(name)
            if given is None:
                continue
            present += 1
            # bool is an int in Python: True must not equal 1.
            if type(given) is type(expected) or (not isinstance(given, bool) and not isinstance(expected, bool)):
                correct += int(given == expected)
        if present and checked:
            per[name] = correct / checked
            checked_all += checked
            correct_all += correct
        else:
            per[name] = None
    return per, (correct_all / checked_all if checked_all else None)


def iou(a, b):
    inter = a.intersection(b).area
    if inter <= 0:
        return 0.0
    return inter / (a.area + b.area - inter)


def score(truth, layer, threshold=0.5):
    """TP, FP, FN, F1 and the matched (layer index, truth index) pairs."""
    pairs = []
    if not truth or not layer:
        tp = 0
    else:
        tree = STRtree(truth)
        rows, cols, vals = [], [], []
        for i, geometry in enumerate(layer):
            for j in tree.query(geometry):
                value = iou(geometry, truth[j])
                if value >= threshold:
                    rows.append(i)
                    cols.append(len(layer) + j)
                    vals.append(value)
        n = len(layer) + len(truth)
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, component = connected_components(graph, directed=False)
        blocks = {}
        for r, c, v in zip(rows, cols, vals):
            blocks.setdefault(component[r], []).append((r, c - len(layer), v))
        tp = 0
        for edges in blocks.values():
            rs = sorted({e[0] for e in edges})
            cs = sorted({e[1] for e in edges})
            weight = np.zeros((len(rs), len(cs)))
            for r, c, v in edges:
                # SCOT's trick: a large base reward maximises matches first, then IoU.
                weight[rs.index(r), cs.index(c)] = 100.0 + v
            a, b = linear_sum_assignment(weight, maximize=True)
            for x, y in zip(a, b):
                if weight[x, y] > 0:
                    tp += 1
                    pairs.append((rs[x], cs[y]))
    fp = len(layer) - tp
    fn = len(truth) - tp
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0
    return tp, fp, fn, f1, pairs


def groups(shapes):
    """Connected groups of shapes whose envelopes overlap (across all annotators)."""
    geometries = [g for g, _, _, _ in shapes]
    tree = STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    n = len(geometries)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    result = {}
    for index, group in enumerate(component):
        result.setdefault(group, []).append(index)
    return list(result.values())


def intersect_merge(out, quorum, paths):
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories, Polygon as DmPolygon
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.merge.intersect_merge import IntersectMerge

    annotators = [load(path) for path in paths]
    labels = sorted({label or "" for shapes in annotators for _, label, _ in shapes})
    label_index = {label: i for i, label in enumerate(labels)}
    shapes = [(g, l, s, a) for a, items in enumerate(annotators) for g, l, s in items]
    grouped = groups(shapes)
    # Pixel space for IntersectMerge: 10 px per metre about each group's corner (10 cm imagery),
    # so its rasterised polygon IoU is not quantised to whole metres.
    scale = 10.0
    per_annotator = [[] for _ in annotators]
    offsets = []
    for group_id, members in enumerate(grouped):
        minx = min(shapes[m][0].bounds[0] for m in members)
        miny = min(shapes[m][0].bounds[1] for m in members)
        offsets.append((minx, miny))
        annotations = [[] for _ in annotators]
        for m in members:
            geometry, label, kind, annotator = shapes[m]
            index = label_index[label or ""]
            if kind == "bbox":
                x0, y0, x1, y1 = geometry.bounds
                annotations[annotator].append(
                    Bbox((x0 - minx) * scale, (y0 - miny) * scale, (x1 - x0) * scale, (y1 - y0) * scale, label=index))
            else:
                polygon = geometry if geometry.geom_type == "Polygon" else max(geometry.geoms, key=lambda g: g.area)
                points = []
                for x, y in list(polygon.exterior.coords)[:-1]:
                    points += [(x - minx) * scale, (y - miny) * scale]
                annotations[annotator].append(DmPolygon(points, label=index))
        for a in range(len(annotators)):
            per_annotator[a].append(DatasetItem(id=str(group_id), annotations=annotations[a]))
    categories = {AnnotationType.label: LabelCategories.from_iterable(labels)}
    datasets = [Dataset.from_iterable(items, categories=categories) for items in per_annotator]

    started = time.perf_counter()
    merger = IntersectMerge(conf=IntersectMerge.Conf(pairwise_dist=0.5, quorum=quorum, output_conf_thresh=0.0))
    merged = merger(*datasets)
    seconds = time.perf_counter() - started

    features = []
    for item in merged:
        minx, miny = offsets[int(item.id)]
        for annotation in item.annotations:
            if annotation.label is None:  # failed the quorum: CVAT drops these
                continue
            if annotation.type == AnnotationType.bbox:
                x, y, w, h = annotation.get_bbox()
                geometry = box(minx + x / scale, miny + y / scale, minx + (x + w) / scale, miny + (y + h) / scale)
                kind = "bbox"
            elif annotation.type == AnnotationType.polygon:
                p = annotation.points
                geometry = Polygon([(minx + p[i] / scale, miny + p[i + 1] / scale) for i in range(0, len(p), 2)])
                kind = "polygon"
            else:
                continue
            features.append({
                "type": "Feature",
                "properties": {"label": labels[annotation.label], "shape": kind},
                "geometry": mapping(geometry),
            })
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"type": "FeatureCollection", "features": features}, handle)
    print(f"{seconds:.3f} {len(grouped)} {len(merger.errors)}")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "intersect-merge":
        intersect_merge(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "score":
        truth = [g for g, _, _ in load(sys.argv[2])]
        truth_attributes = load_attributes(sys.argv[2])
        names = sorted({key for attributes in truth_attributes for key in attributes})
        fmt = lambda value: "n/a" if value is None else f"{value:.4f}"
        for argument in sys.argv[3:]:
            name, path = argument.split("=", 1)
            layer = [g for g, _, _ in load(path)]
            tp, fp, fn, f1, pairs = score(truth, layer)
            per, overall = attribute_accuracy(pairs, load_attributes(path), truth_attributes, names)
            accuracies = " ".join(f"{key}={fmt(per[key])}" for key in names)
            print(f"{name} {len(layer)} {tp} {fp} {fn} {f1:.4f} {fmt(overall)} {accuracies}".rstrip())
    else:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

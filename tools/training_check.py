#!/usr/bin/env python3
"""Reads a Swath training export with the readers people train with, and prints a JSON verdict.

    tools/.venv-training/bin/python tools/training_check.py coco DIR
    tools/.venv-training/bin/python tools/training_check.py yolo DIR        (or yolo-seg)
    tools/.venv-training/bin/python tools/training_check.py masks DIR [COCO_DIR]
    tools/.venv-training/bin/python tools/training_check.py stac DIR

coco: pycocotools loads each split's file; the area pycocotools computes from each annotation's
segmentation (annToRLE, then area) is compared with the annotation's `area` (the clipped shape's
planar area, as GEOS computes it), per annotation and in total.
yolo: data.yaml parses (nc == len(names)), every listed image exists, every label line has a
class below nc and coordinates in [0, 1] (4 for detection, pairs for segmentation).
masks: GDAL (gdalinfo, gdal_translate) reads every mask and its chip: same size, geotransform
and CRS; with COCO_DIR (a COCO export of the same task and options), each instance's pixels in
the masks agree with pycocotools' own raster of the object's COCO segmentation.
stac: PySTAC reads the catalogue and resolves every link and asset; every catalogue, collection
and item validates against the core, projection and Label extension JSON Schemas bundled in
Schemas/stac (network access is blocked: a schema not bundled is a failure, not a download).

Prints {"format", "ok", "problems": [...], "stats": {...}}; exits 0 either way (the verdict is
the JSON), 2 on bad arguments.
"""

import contextlib
import glob
import json
import math
import os
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(os.path.dirname(HERE), "Schemas", "stac")

problems = []
stats = {}


def problem(text):
    problems.append(text)


def check_coco(folder):
    from pycocotools.coco import COCO
    from pycocotools import mask as mask_utils

    total_ours = 0.0
    total_theirs = 0.0
    worst = 0.0
    large = []
    counts = {}
    rle = 0
    for split in ("train", "val", "test"):
        path = os.path.join(folder, "annotations", f"instances_{split}.json")
        if not os.path.exists(path):
            problem(f"{path} is missing")
            continue
        coco = COCO(path)
        images = coco.dataset["images"]
        annotations = coco.dataset["annotations"]
        counts[split] = {"images": len(images), "annotations": len(annotations)}
        category_ids = {c["id"] for c in coco.dataset["categories"]}
        for image in images:
            for field in ("chip_id", "geotransform", "file_name", "width", "height"):
                if field not in image:
                    problem(f"{split}: image {image.get('id')} has no {field}")
            if len(image.get("geotransform", [])) != 6:
                problem(f"{split}: image {image['id']} geotransform is not 6 numbers")
            if not os.path.exists(os.path.join(folder, "images", image["file_name"])):
                problem(f"{split}: image file {image['file_name']} is missing")
        for ann in annotations:
            if ann["category_id"] not in category_ids:
                problem(f"annotation {ann['id']}: unknown category {ann['category_id']}")
            if ann.get("iscrowd") != 0:
                problem(f"annotation {ann['id']}: iscrowd is not 0")
            if isinstance(ann["segmentation"], dict):
                rle += 1
            theirs = float(mask_utils.area(coco.annToRLE(ann)))
            ours = float(ann["area"])
            total_ours += ours
            total_theirs += theirs
            error = abs(theirs - ours) / ours if ours > 0 else 0
            worst = max(worst, error)
            x, y, w, h = ann["bbox"]
            # A raster differs from its polygon only in pixels the outline crosses, so each
            # object is within 1 % or within its outline's band (half a pixel along the
            # bounding box's perimeter, w + h); the total is within 1 %.
            if abs(theirs - ours) > max(0.01 * ours, w + h):
                problem(f"{split}: annotation {ann['id']} area {ours:.1f} px², pycocotools {theirs:.1f} px²")
            if ours >= 1000:
                large.append(error)
    stats["splits"] = counts
    stats["rle_annotations"] = rle
    stats["area_total_ours"] = total_ours
    stats["area_total_pycocotools"] = total_theirs
    stats["area_total_relative_error"] = abs(total_theirs - total_ours) / total_ours if total_ours else 0
    stats["area_worst_relative_error"] = worst
    stats["area_median_relative_error_1000px"] = sorted(large)[len(large) // 2] if large else 0
    if total_ours and stats["area_total_relative_error"] > 0.01:
        problem(f"total area {total_ours:.1f} px², pycocotools {total_theirs:.1f} px²: more than 1 % apart")


def check_yolo(folder, segmentation):
    import yaml

    with open(os.path.join(folder, "data.yaml")) as handle:
        data = yaml.safe_load(handle)
    nc = data.get("nc")
    names = data.get("names")
    if not isinstance(nc, int) or not isinstance(names, dict) or len(names) != nc:
        problem(f"data.yaml: nc {nc!r} does not match names {names!r}")
        return
    stats["nc"] = nc
    stats["names"] = [names[i] for i in range(nc)]
    lines = 0
    listed = 0
    for split in ("train", "val", "test"):
        path = os.path.join(folder, data[split])
        with open(path) as handle:
            images = [line.strip() for line in handle if line.strip()]
        stats[f"{split}_images"] = len(images)
        for image in images:
            listed += 1
            image_path = os.path.normpath(os.path.join(folder, image))
            if not os.path.exists(image_path):
                problem(f"{split}: {image} is missing")
            label = image_path.replace(os.sep + "images" + os.sep, os.sep + "labels" + os.sep)
            label = os.path.splitext(label)[0] + ".txt"
            if not os.path.exists(label):
                problem(f"{split}: no label file for {image}")
                continue
            with open(label) as handle:
                for number, line in enumerate(handle, 1):
                    parts = line.split()
                    if not parts:
                        continue
                    lines += 1
                    try:
                        cls = int(parts[0])
                        values = [float(v) for v in parts[1:]]
                    except ValueError:
                        problem(f"{label}:{number}: not numbers")
                        continue
                    if not 0 <= cls < nc:
                        problem(f"{label}:{number}: class {cls} outside 0..{nc - 1}")
                    if segmentation:
                        if len(values) < 6 or len(values) % 2:
                            problem(f"{label}:{number}: {len(values)} coordinates is not a polygon")
                    elif len(values) != 4:
                        problem(f"{label}:{number}: {len(values)} numbers, a box has 4")
                    if any(not 0 <= v <= 1 for v in values):
                        problem(f"{label}:{number}: a coordinate outside [0, 1]")
    stats["labels"] = lines
    stats["images_listed"] = listed


def gdal_info(path):
    result = subprocess.run(["gdalinfo", "-json", path], capture_output=True, text=True)
    if result.returncode != 0:
        problem(f"gdalinfo {path}: {result.stderr.strip()}")
        return None
    return json.loads(result.stdout)


def gdal_pixels(path):
    """The first band's pixels, read by GDAL (gdal_translate to raw ENVI), as a numpy array."""
    import numpy

    info = gdal_info(path)
    if info is None:
        return None, None
    band_type = info["bands"][0]["type"]
    width, height = info["size"]
    with tempfile.TemporaryDirectory() as scratch:
        raw = os.path.join(scratch, "band.raw")
        result = subprocess.run(
            ["gdal_translate", "-q", "-of", "ENVI", "-b", "1", path, raw], capture_output=True, text=True)
        if result.returncode != 0:
            problem(f"gdal_translate {path}: {result.stderr.strip()}")
            return None, info
        dtype = {"Byte": numpy.uint8, "UInt16": numpy.dtype("<u2")}[band_type]
        return numpy.fromfile(raw, dtype=dtype).reshape(height, width), info


def check_masks(folder, coco_folder):
    import numpy

    with open(os.path.join(folder, "masks.json")) as handle:
        index = json.load(handle)
    classes = {c["id"]: c["name"] for c in index["classes"]}
    stats["classes"] = len(classes)
    checked = 0
    instances = 0
    agreement = []
    coco_by_chip = {}
    if coco_folder:
        from pycocotools.coco import COCO

        for split in ("train", "val", "test"):
            coco = COCO(os.path.join(coco_folder, "annotations", f"instances_{split}.json"))
            for image in coco.dataset["images"]:
                coco_by_chip[image["chip_id"]] = (coco, image)
    for chip in index["chips"]:
        image_info = gdal_info(os.path.join(folder, chip["image"]))
        semantic, semantic_info = gdal_pixels(os.path.join(folder, chip["semantic"]))
        instance, instance_info = gdal_pixels(os.path.join(folder, chip["instance"]))
        if image_info is None or semantic is None or instance is None:
            continue
        checked += 1
        for name, info, band_type in (("semantic", semantic_info, "Byte"), ("instance", instance_info, "UInt16")):
            if info["size"] != image_info["size"]:
                problem(f"{chip['chip']}: {name} mask is {info['size']}, the chip {image_info['size']}")
            if info.get("geoTransform") != image_info.get("geoTransform") or not info.get("geoTransform"):
                problem(f"{chip['chip']}: {name} mask geotransform {info.get('geoTransform')} differs from the chip's")
            wkt = info.get("coordinateSystem", {}).get("wkt")
            if not wkt or wkt != image_info.get("coordinateSystem", {}).get("wkt"):
                problem(f"{chip['chip']}: {name} mask CRS differs from the chip's")
            if info["bands"][0]["type"] != band_type:
                problem(f"{chip['chip']}: {name} mask is {info['bands'][0]['type']}, expected {band_type}")
        ids = {entry["id"]: entry for entry in chip["instances"]}
        present = set(numpy.unique(instance).tolist()) - {0}
        if not present <= set(ids):
            problem(f"{chip['chip']}: instance ids {sorted(present - set(ids))} are not in masks.json")
        if int(semantic.max()) >= len(classes):
            problem(f"{chip['chip']}: semantic class {int(semantic.max())} outside the classes")
        # Where an instance is, the semantic mask holds its class.
        for number, entry in ids.items():
            where = instance == number
            if where.any() and not (semantic[where] == entry["class"]).all():
                problem(f"{chip['chip']}: instance {number} pixels are not all class {entry['class']}")
        instances += len(ids)
        if chip["chip"] in coco_by_chip:
            coco, image = coco_by_chip[chip["chip"]]
            annotations = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
            by_object = {a["object_index"]: a for a in annotations}
            for number, entry in ids.items():
                ann = by_object.get(entry["object_index"])
                if ann is None:
                    problem(f"{chip['chip']}: instance {number} has no COCO annotation")
                    continue
                theirs = coco.annToMask(ann).astype(bool)
                ours = instance == number
                # The two rasters differ only along the outline (pycocotools and GDAL decide
                # the pixels it crosses differently): at most half a pixel along the bounding
                # box's perimeter, w + h. Where objects overlap, a smaller one drawn over this
                # one takes its pixels, which is not a disagreement.
                covered = instance != 0
                differ = (theirs & ~ours & ~covered) | (ours & ~theirs)
                union = (ours | theirs).sum()
                iou = (ours & theirs).sum() / union if union else 1
                agreement.append(iou)
                x, y, w, h = ann["bbox"]
                if differ.sum() > w + h:
                    problem(
                        f"{chip['chip']}: instance {number} ({entry['label']}) differs from pycocotools' raster "
                        f"in {int(differ.sum())} pixels (IoU {iou:.3f}), more than its outline's {w + h:.0f}")
                if not (semantic[theirs & ours] == ann["category_id"]).all():
                    problem(f"{chip['chip']}: instance {number} semantic class differs from COCO's category")
    stats["chips"] = checked
    stats["instances"] = instances
    if agreement:
        stats["instance_iou_min"] = float(min(agreement))
        stats["instance_iou_mean"] = float(sum(agreement) / len(agreement))
        stats["instances_compared"] = len(agreement)


def local_validator():
    from pystac.validation import JsonSchemaSTACValidator

    mapping = {
        "https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/": "stac-spec/v1.0.0/",
        "https://schemas.stacspec.org/v1.0.0/catalog-spec/json-schema/": "stac-spec/v1.0.0/",
        "https://schemas.stacspec.org/v1.0.0/collection-spec/json-schema/": "stac-spec/v1.0.0/",
        "https://geojson.org/schema/": "geojson/",
        "https://stac-extensions.github.io/projection/v1.1.0/": "projection/v1.1.0/",
        "https://stac-extensions.github.io/label/v1.0.1/": "label/v1.0.1/",
    }
    validator = JsonSchemaSTACValidator()
    # Only the bundled schemas: PySTAC's own copies (another STAC version) are dropped.
    validator.schema_cache = {}
    for prefix, local in mapping.items():
        for path in glob.glob(os.path.join(SCHEMAS, local, "*.json")):
            name = os.path.basename(path)
            with open(path) as handle:
                validator.schema_cache[prefix + name] = json.load(handle)
    return validator


def check_stac(folder):
    import pystac
    from pystac.validation import validate_dict

    validator = local_validator()
    catalog = pystac.Catalog.from_file(os.path.join(folder, "catalog.json"))
    items = 0
    label_items = 0
    links = 0
    for link in catalog.links:
        if link.rel in ("child", "root"):
            link.resolve_stac_object(root=catalog)
            links += 1
    collections = list(catalog.get_children())
    stats["collections"] = len(collections)
    for collection in collections:
        for item in collection.get_items():
            items += 1
            if "label" in " ".join(item.stac_extensions):
                label_items += 1
            for link in item.links:
                if link.rel in ("root", "parent", "collection", "source"):
                    target = link.resolve_stac_object(root=catalog).target
                    links += 1
                    if link.rel == "source" and not isinstance(target, pystac.Item):
                        problem(f"{item.id}: source link is not an item")
            for name, asset in item.assets.items():
                href = asset.get_absolute_href()
                if not href or not os.path.exists(href):
                    problem(f"{item.id}: asset {name} {href} is missing")
    stats["items"] = items
    stats["label_items"] = label_items
    stats["links_resolved"] = links
    validated = 0
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.json"), recursive=True)):
        with open(path) as handle:
            document = json.load(handle)
        if document.get("type") not in ("Feature", "Collection", "Catalog"):
            continue
        try:
            validate_dict(document, href=path, validator=validator)
            validated += 1
        except Exception as error:  # noqa: BLE001 - every failure is a finding
            problem(f"{os.path.relpath(path, folder)}: {str(error)[:300]}")
    stats["validated"] = validated


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("coco", "yolo", "yolo-seg", "masks", "stac"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    kind, folder = sys.argv[1], sys.argv[2]

    # Nothing is fetched: a schema or file that is not local is a failure.
    def refuse(*args, **kwargs):
        raise OSError("network access is blocked in training_check")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    try:
        # pycocotools reports its progress on stdout; the verdict alone goes there.
        with contextlib.redirect_stdout(sys.stderr):
            run(kind, folder)
    except Exception as error:  # noqa: BLE001 - a reader that fails is the finding
        problem(f"{type(error).__name__}: {error}")
    print(json.dumps({"format": kind, "ok": not problems, "problems": problems[:50], "stats": stats}))


def run(kind, folder):
    if kind == "coco":
        check_coco(folder)
    elif kind in ("yolo", "yolo-seg"):
        check_yolo(folder, kind == "yolo-seg")
    elif kind == "masks":
        check_masks(folder, sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        check_stac(folder)


if __name__ == "__main__":
    main()

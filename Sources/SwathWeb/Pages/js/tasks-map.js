// The analyst's map in the scene's pixel frame: L.CRS.Simple with scene pixel [x, y] at
// L.latLng(-y, x), so north is up and one map unit is one scene pixel at zoom 0.

/** Chip states in the server's precedence order, with their colours. */
export const CHIP_COLOURS = {
  gold: '#d4a72c',
  reviewed: '#8250df',
  bad_imagery: '#cf222e',
  answered: '#2da44e',
  leased: '#1f6feb',
  partly_answered: '#fb8f44',
  waiting: '#9aa5b1',
};

/** Review states of the final layer's objects: decided ones darker than undecided ones. */
export const REVIEW_COLOURS = {
  auto_accepted: '#56d364',
  needs_review: '#f2cc60',
  auto_rejected: '#ff7b72',
  accepted: '#116329',
  rejected: '#82071e',
};

export const REVIEW_ORDER = ['needs_review', 'auto_accepted', 'auto_rejected', 'accepted', 'rejected'];

/** A scene pixel as a Leaflet position. */
export function scenePoint([x, y]) {
  return L.latLng(-y, x);
}

/** A pixel window {x, y, width, height} as Leaflet bounds. */
export function windowBounds({ x, y, width, height }) {
  return L.latLngBounds(scenePoint([x, y + height]), scenePoint([x + width, y]));
}

/** Polygons (lists of rings of [x, y]) as Leaflet's nested positions. */
export function polygonPositions(polygons) {
  return polygons.map((rings) => rings.map((ring) => ring.map(scenePoint)));
}

/** A heat-map colour for an agreement in 0…1: red (none) through yellow to green (full). */
export function agreementColour(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '#eeeeee';
  const clamped = Math.max(0, Math.min(1, value));
  return `hsl(${Math.round(clamped * 120)}, 70%, ${Math.round(78 - clamped * 20)}%)`;
}

/** Puts `data` on the layer's SVG path as data attributes, whenever Leaflet makes the path (a
 * hidden layer group makes it only once shown), so tests and tools can read the map from the DOM. */
function tag(layer, data) {
  layer.on('add', () => Object.assign(layer.getElement().dataset, data));
}

/** The map over `element`, with the overview, chip and object layers it redraws per task. */
export class TaskMapView {
  constructor(element) {
    this.element = element;
    this.map = L.map(element, { crs: L.CRS.Simple, minZoom: -6, maxZoom: 4, zoomSnap: 0.25, attributionControl: false });
    this.overview = null;
    this.chips = L.layerGroup().addTo(this.map);
    this.objects = L.layerGroup().addTo(this.map);
    L.control.layers(null, { Chips: this.chips, 'Consensus layer': this.objects }, { collapsed: false }).addTo(this.map);
  }

  /** Shows a scene: the overview image stretched over the scene's pixel extent. */
  showScene(scene, overviewURL) {
    const bounds = windowBounds({ x: 0, y: 0, width: scene.width, height: scene.height });
    if (this.overview) this.overview.remove();
    this.overview = overviewURL ? L.imageOverlay(overviewURL, bounds, { className: 'overview' }).addTo(this.map) : null;
    if (this.overview) this.overview.bringToBack();
    this.map.fitBounds(bounds, { padding: [12, 12] });
    this.element.dataset.sceneWidth = scene.width;
    this.element.dataset.sceneHeight = scene.height;
  }

  /** Draws the chip grid; every rectangle carries data-chip and data-state for anyone reading the DOM. */
  showChips(chips) {
    this.chips.clearLayers();
    for (const chip of chips) {
      const colour = CHIP_COLOURS[chip.state] || '#666';
      const rectangle = L.rectangle(windowBounds(chip), {
        color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.22, className: `chip chip-${chip.state}`,
      });
      rectangle.bindTooltip(
        `${chip.chip}: ${chip.state.replace('_', ' ')} · ${chip.answers}/${chip.asked} answers`
          + (chip.leases ? ` · ${chip.leases} leased` : '')
          + (chip.bad_imagery_reports ? ` · ${chip.bad_imagery_reports} bad imagery${chip.withdrawn ? ' (withdrawn)' : ''}` : ''),
        { sticky: true },
      );
      tag(rectangle, { chip: chip.chip, state: chip.state });
      rectangle.addTo(this.chips);
    }
    this.element.dataset.chips = chips.length;
  }

  /** Draws the final layer over the chips, coloured by review state. */
  showObjects(run) {
    this.objects.clearLayers();
    const objects = run ? run.objects : [];
    objects.forEach((object, index) => {
      const colour = REVIEW_COLOURS[object.review] || '#fff';
      const polygon = L.polygon(polygonPositions(object.polygons), {
        color: colour, weight: object.decided ? 2.5 : 1.5, dashArray: object.decided ? null : '4 3',
        fillColor: colour, fillOpacity: 0.35, className: `object review-${object.review}`,
      });
      const confidence = object.confidence === undefined ? '' : ` · confidence ${object.confidence.toFixed(2)}`;
      polygon.bindTooltip(`${object.label || 'object'}: ${object.review.replace('_', ' ')}${confidence}`, { sticky: true });
      tag(polygon, { object: index, review: object.review });
      polygon.addTo(this.objects);
    });
    this.element.dataset.objects = objects.length;
  }
}

// The reviewer's map: one chip image in L.CRS.Simple (chip pixel [x, y] is L.latLng(-y, x)),
// each annotator's shapes under their letter and the consensus shapes on top.

/** Chip pixel [x, y] → Leaflet's simple CRS. */
export function toLatLng([x, y]) {
  return L.latLng(-y, x);
}

/** Leaflet's simple CRS → chip pixel [x, y]. */
export function toPixel(latLng) {
  return [latLng.lng, -latLng.lat];
}

// Colours far apart for the letters; the consensus is drawn in white over them.
const PALETTE = ['#ff4d6d', '#3ddc84', '#4dabff', '#ffb020', '#c77dff', '#00d1c1', '#ff7ad9', '#b5e61d'];
export const CONSENSUS_COLOUR = '#ffffff';

export function letterColour(letter) {
  let index = 0;
  for (const character of letter) index = index * 26 + (character.charCodeAt(0) - 64);
  return PALETTE[(index - 1) % PALETTE.length];
}

/** MultiPolygon pixel coordinates → the nested lat/lng arrays L.polygon takes. */
function latLngs(pixels) {
  return pixels.map((polygon) => polygon.map((ring) => ring.map(toLatLng)));
}

/**
 * Where a letter sits: a different corner of the shape for each letter (A top-left, B
 * bottom-right, C top-right, D bottom-left, …), so the letters of shapes that nearly coincide
 * do not cover each other.
 */
function anchor(pixels, letter) {
  const ring = pixels.length ? pixels[0][0] : [[0, 0]];
  const corners = [
    [(p) => -(p[0] + p[1]), 'left'], [(p) => p[0] + p[1], 'right'],
    [(p) => p[0] - p[1], 'right'], [(p) => p[1] - p[0], 'left'],
  ];
  const [score, direction] = corners[(letter.charCodeAt(letter.length - 1) - 65) % corners.length];
  return [ring.reduce((best, point) => (score(point) > score(best) ? point : best), ring[0]), direction];
}

export class ChipMap {
  constructor(container) {
    // Leaflet's keyboard handler would take the arrow keys and +/- while the page's keys decide.
    this.map = L.map(container, {
      crs: L.CRS.Simple, minZoom: -3, maxZoom: 5, zoomSnap: 0.25, keyboard: false, attributionControl: false,
    });
    this.map.setView([-256, 256], 0);
    this.shapes = L.layerGroup().addTo(this.map);
    this.consensus = L.layerGroup().addTo(this.map);
    this.image = null;
    this.imageURL = null;
  }

  /** An object the reviewer just added (a closed ring in chip pixels), shown until the next
   * chip: the tool that drew it is emptied for the next shape. */
  markAdded(ring) {
    L.polygon(ring.map(toLatLng), {
      color: '#ffe14d', weight: 2.5, fill: true, fillOpacity: 0.12, interactive: false, className: 'added-shape',
    }).addTo(this.consensus);
  }

  clear() {
    this.shapes.clearLayers();
    this.consensus.clearLayers();
    if (this.image) this.image.remove();
    this.image = null;
  }

  /**
   * Shows a chip: `view` is the API's chip view (letters only); `focus` the id of the object
   * under review (its annotators' shapes in colour with their letters, the rest dimmed), or null
   * to show every shape in colour (chip validation).
   */
  show(view, imageURL, focus = null) {
    this.clear();
    const bounds = L.latLngBounds([[-view.height, 0], [0, view.width]]);
    if (this.imageURL && this.imageURL !== imageURL) URL.revokeObjectURL(this.imageURL);
    this.imageURL = imageURL;
    this.image = L.imageOverlay(imageURL, bounds).addTo(this.map);
    this.image.bringToBack();
    // A chip at the scene's edge is a window smaller than its image (the tiling engine pads it to
    // the chip size), and chip pixels are the image's: its natural size is the chip's frame.
    const image = this.image;
    image.once('load', () => {
      const element = image.getElement();
      image.setBounds(L.latLngBounds([[-element.naturalHeight, 0], [0, element.naturalWidth]]));
    });
    for (const shape of view.shapes) {
      const mine = focus === null || shape.object === focus;
      const colour = letterColour(shape.annotator);
      const layer = L.polygon(latLngs(shape.pixels), {
        color: mine ? colour : '#9aa4b2', weight: mine ? 2.5 : 1, opacity: mine ? 1 : 0.5,
        fill: mine, fillOpacity: 0.08, dashArray: mine ? null : '3 4', interactive: false,
        className: `review-shape letter-${shape.annotator}`,
      });
      layer.addTo(this.shapes);
      if (mine) {
        const [vertex, direction] = anchor(shape.pixels, shape.annotator);
        L.tooltip({ permanent: true, direction, className: `letter-tooltip letter-${shape.annotator}`, opacity: 1 })
          .setLatLng(toLatLng(vertex))
          .setContent(shape.annotator)
          .addTo(this.shapes);
      }
    }
    let focusBounds = null;
    for (const object of view.objects) {
      const focused = object.id === focus;
      const layer = L.polygon(latLngs(object.pixels), {
        color: CONSENSUS_COLOUR, weight: focused ? 3 : 1.5, opacity: focused ? 1 : 0.6, fill: false,
        dashArray: focused ? '8 5' : null, interactive: false,
        className: focused ? 'consensus-shape focused' : 'consensus-shape',
      });
      layer.addTo(this.consensus);
      if (focused) focusBounds = layer.getBounds();
    }
    this.map.setMaxBounds(bounds.pad(0.5));
    if (focusBounds) {
      this.map.fitBounds(focusBounds.pad(1.5), { maxZoom: 3 });
    } else {
      this.map.fitBounds(bounds);
    }
  }
}

// The drawing and editing tool of the annotate and review pages. Debian ships no Leaflet.draw,
// so this is ours and small: shapes live in chip pixels ([x, y], y down) and are shown on a
// Leaflet map with L.CRS.Simple where pixel [x, y] is L.latLng(-y, x). Every shape is drawn on
// one canvas renderer and hit-tested here (not by Leaflet), so 500 shapes stay smooth and only
// the selected shape gets vertex handles.
//
//   const tool = new DrawingTool(map, { width, height, labels }); // labels of the task's schema
//   tool.shapes (frozen [{ id, label, kind: 'polygon'|'box', ring, attributes, ...page's own }])
//   tool.selectedId · tool.mode ('idle'|'polygon'|'box')
//   tool.load(shapes) · drawPolygon(label) · drawBox(label) · cancel() · select(id) · remove(id)
//   tool.setLabel(id, label) · setAttributes(id, attributes) · removeVertex(id, index)
//   tool.undo() · redo() · hideOthers(on) · showProblems([{ id, message, point? }])
//   tool.clearProblems() · destroy()
//   events: change { shapes } · select { id } · mode { mode } · message { text, point? }
// `load` is not an edit: it fires no `change` and empties the undo history.
//
// Mouse: polygon: click vertices, Enter or double-click closes; box: press, drag, release. Idle:
// a click selects; on the selected shape, drag a handle to move a vertex, drag an edge's middle
// to insert one, alt-click a handle to remove it, drag the body to move the shape; elsewhere a
// drag pans the map. Keys (not in form fields): Enter, Backspace (last vertex), Escape, Delete
// (the pressed vertex, else the shape), Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y. Number keys are the page's.
import {
  boxRing, closeRing, distanceToSegment, pointInRing, ringArea, ringBounds, roundPoint,
  segmentIntersection, selfIntersections,
} from './geometry.js';

const ERROR = '#e53935';
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const HANDLE_RADIUS = 5;
const HIT_TOLERANCE = 6; // screen px around an edge or a handle that still hits it
const DRAG_START = 3; // screen px a press must move before it is a drag and not a click
const HISTORY_LIMIT = 500;

const toLatLng = ([x, y]) => L.latLng(-y, x);
const toPoint = (latlng) => [latlng.lng, -latlng.lat];
const coordinates = (point) => `(${point.map((value) => Math.round(value * 100) / 100).join(', ')})`;
const isFormField = (node) => node && (node.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(node.tagName));

// A label is named by its name; a page may hand the schema's label object instead.
const labelName = (label) => (label && typeof label === 'object' ? label.name : label);

// Shapes are frozen so the undo history can keep references instead of copies; an edit makes a
// new shape object. Fields of the page's own (e.g. a server id) ride along untouched.
function freezeShape({ ring, attributes, ...fields }) {
  return Object.freeze({
    ...fields,
    ring: Object.freeze(ring.map((point) => Object.freeze([point[0], point[1]]))),
    attributes: Object.freeze({ ...(attributes || {}) }),
  });
}

export class DrawingTool extends EventTarget {
  constructor(map, { width, height, labels = [] } = {}) {
    super();
    this.map = map;
    this.width = width;
    this.height = height;
    this.labels = new Map(labels.map((label, index) => [label.name, {
      ...label, color: label.color || PALETTE[index % PALETTE.length], shapes: label.shapes || ['polygon', 'box'],
    }]));
    this._renderer = L.canvas({ padding: 0.5 });
    this._shapes = Object.freeze([]);
    this._entries = new Map(); // id → { shape, layer, bounds, area, style }
    this._undo = [];
    this._redo = [];
    this._selected = null;
    this._vertex = null; // the active vertex of the selected shape (Delete/Backspace remove it)
    this._handles = [];
    this._ghosts = []; // midpoints of a selected polygon's edges: drag one to insert a vertex
    this._mode = 'idle';
    this._draft = null; // { label, kind, points, line, rubber, marks, start }
    this._drag = null;
    this._problems = new Map(); // id → { message, point, tooltip }
    this._hide = false;
    this._swallowClick = false;
    this._nextId = 1;
    this._ids = new Set(); // every id the tool has handed out or loaded: never reused, even after undo

    this._onDown = this._onDown.bind(this);
    this._onDragMove = this._onDragMove.bind(this);
    this._onDragEnd = this._onDragEnd.bind(this);
    this._onDoubleClick = this._onDoubleClick.bind(this);
    this._onKey = this._onKey.bind(this);
    this._onClick = this._onClick.bind(this);
    this._onHover = this._onHover.bind(this);
    this._onZoom = () => this._renderHandles();
    const container = map.getContainer();
    // Capture, so the tool sees a press before Leaflet's map dragging does and can turn it off.
    container.addEventListener('mousedown', this._onDown, true);
    container.addEventListener('dblclick', this._onDoubleClick, true);
    document.addEventListener('keydown', this._onKey);
    map.on('click', this._onClick);
    map.on('mousemove', this._onHover);
    map.on('zoomend', this._onZoom);
  }

  /** Removes the tool's layers and listeners from the map. */
  destroy() {
    this.cancel();
    this.load([]);
    const container = this.map.getContainer();
    container.removeEventListener('mousedown', this._onDown, true);
    container.removeEventListener('dblclick', this._onDoubleClick, true);
    document.removeEventListener('keydown', this._onKey);
    this.map.off('click', this._onClick);
    this.map.off('mousemove', this._onHover);
    this.map.off('zoomend', this._onZoom);
  }

  /** The shapes: { id, label, kind, ring (closed, chip px), attributes }, frozen. */
  get shapes() { return this._shapes; }
  get selectedId() { return this._selected; }
  get mode() { return this._mode; }

  // ---- the model: every edit goes through _commit, so undo covers it ----

  /** Replaces all shapes (a draft restored) and forgets the undo history. */
  load(shapes) {
    this.cancel();
    this._endDrag();
    const used = new Set();
    const loaded = [];
    // The page's ids are kept; a shape without one (or with a repeated one) gets a fresh one.
    for (const shape of shapes || []) if (shape.id != null) this._ids.add(String(shape.id));
    for (const shape of shapes || []) {
      let id = shape.id != null ? String(shape.id) : null;
      if (!id || used.has(id)) id = this._freshId();
      used.add(id);
      const ring = closeRing(shape.ring) || shape.ring.map((point) => [point[0], point[1]]);
      loaded.push(freezeShape({ ...shape, id, kind: shape.kind === 'box' ? 'box' : 'polygon', ring }));
    }
    this._undo = [];
    this._redo = [];
    this.clearProblems();
    const hadSelection = this._selected !== null;
    this._selected = null;
    this._vertex = null;
    this._shapes = Object.freeze(loaded);
    this._render();
    if (hadSelection) this._emit('select', { id: null });
  }

  _freshId() {
    let id;
    do id = `s${this._nextId++}`; while (this._ids.has(id));
    this._ids.add(id);
    return id;
  }

  _find(id) {
    return this._shapes.find((shape) => shape.id === id);
  }

  _commit(shapes) {
    this._undo.push(this._shapes);
    if (this._undo.length > HISTORY_LIMIT) this._undo.shift();
    this._redo = [];
    this._apply(shapes);
  }

  _apply(shapes) {
    const before = new Map(this._shapes.map((shape) => [shape.id, shape]));
    this._shapes = Object.freeze(shapes);
    // A problem stands only for the shape the server saw; once the shape changes it is stale.
    for (const id of [...this._problems.keys()]) {
      if (this._find(id) !== before.get(id)) this._dropProblem(id);
    }
    if (this._selected !== null && !this._find(this._selected)) this.select(null);
    this._render();
    this._emit('change', { shapes: this._shapes });
  }

  _replace(id, changes) {
    const shape = this._find(id);
    if (!shape) return false;
    const next = freezeShape({ ...shape, ...changes });
    this._commit(this._shapes.map((each) => (each.id === id ? next : each)));
    return true;
  }

  undo() {
    if (this._mode !== 'idle' || this._drag || !this._undo.length) return false;
    this._redo.push(this._shapes);
    this._vertex = null;
    this._apply(this._undo.pop());
    return true;
  }

  redo() {
    if (this._mode !== 'idle' || this._drag || !this._redo.length) return false;
    this._undo.push(this._shapes);
    this._vertex = null;
    this._apply(this._redo.pop());
    return true;
  }

  select(id) {
    const next = id != null && this._find(String(id)) ? String(id) : null;
    if (next === this._selected) return;
    this._selected = next;
    this._vertex = null;
    this._render();
    this._emit('select', { id: next });
  }

  remove(id) {
    if (!this._find(id)) return false;
    this._commit(this._shapes.filter((shape) => shape.id !== id));
    return true;
  }

  /** Gives the shape another label, refused (message event) when the label does not allow the
   * shape's kind. */
  setLabel(id, label) {
    label = labelName(label);
    const shape = this._find(id);
    if (!shape || !this._allows(label, shape.kind)) return false;
    if (shape.label === label) return true;
    return this._replace(id, { label });
  }

  /** Replaces the shape's attributes (not merged: the page sends the whole form). */
  setAttributes(id, attributes) {
    return this._replace(id, { attributes: { ...attributes } });
  }

  /** Removes a vertex of a polygon, never below 3; a box keeps its 4 corners. */
  removeVertex(id, index) {
    const shape = this._find(id);
    if (!shape) return false;
    if (shape.kind === 'box') {
      this._message('A box keeps its four corners; drag a corner to resize it.');
      return false;
    }
    const open = shape.ring.slice(0, -1);
    if (open.length <= 3) {
      this._message('A polygon keeps at least 3 vertices; delete the shape instead.');
      return false;
    }
    open.splice(index, 1);
    const ring = closeRing(open);
    if (!ring) return false;
    this._vertex = null;
    return this._replace(id, { ring });
  }

  _allows(labelName, kind) {
    const label = this.labels.get(labelName);
    if (!label) {
      this._message(`There is no label "${labelName}" in this task.`);
      return false;
    }
    if (!label.shapes.includes(kind)) {
      const allowed = label.shapes.join(' or ');
      this._message(`${label.display_name || label.name} is drawn as a ${allowed}, not as a ${kind}.`);
      return false;
    }
    return true;
  }

  // ---- showing ----

  hideOthers(on) {
    this._hide = Boolean(on);
    this._render();
  }

  /** Marks shapes with a problem (error outline, the message at the shape) until
   * clearProblems() or until the shape changes. `point` (chip px) places the message. */
  showProblems(problems) {
    this.clearProblems();
    for (const { id, message, point } of problems || []) {
      const shape = this._find(String(id));
      if (!shape) continue;
      const existing = this._problems.get(shape.id);
      const text = existing ? `${existing.message} ${message}` : message;
      if (existing) this._dropProblem(shape.id);
      this._problems.set(shape.id, { message: text, point: point || (existing && existing.point) });
    }
    this._render();
  }

  clearProblems() {
    for (const id of [...this._problems.keys()]) this._dropProblem(id);
    this._render();
  }

  _dropProblem(id) {
    const problem = this._problems.get(id);
    if (problem && problem.tooltip) this.map.removeLayer(problem.tooltip);
    this._problems.delete(id);
  }

  _visible(id) {
    return !this._hide || (this._mode === 'idle' && id === this._selected);
  }

  _style(shape) {
    const color = (this.labels.get(shape.label) || {}).color || PALETTE[0];
    const selected = shape.id === this._selected;
    const problem = this._problems.has(shape.id);
    return {
      color: problem ? ERROR : color, fillColor: color, weight: selected || problem ? 3 : 2,
      opacity: 0.95, fillOpacity: selected ? 0.3 : 0.12, dashArray: problem ? '6 4' : null,
    };
  }

  // Brings the layers in line with the model, touching only what changed.
  _render() {
    const seen = new Set();
    for (const shape of this._shapes) {
      seen.add(shape.id);
      let entry = this._entries.get(shape.id);
      if (!entry) {
        entry = { shape: null, layer: L.polygon([], { renderer: this._renderer, interactive: false }) };
        this._entries.set(shape.id, entry);
      }
      if (entry.shape !== shape) {
        entry.layer.setLatLngs(shape.ring.slice(0, -1).map(toLatLng));
        entry.bounds = ringBounds(shape.ring);
        entry.area = ringArea(shape.ring);
        entry.shape = shape;
      }
      const style = this._style(shape);
      const key = JSON.stringify(style);
      if (entry.style !== key) {
        entry.layer.setStyle(style);
        entry.style = key;
      }
      const visible = this._visible(shape.id);
      if (visible && !this.map.hasLayer(entry.layer)) entry.layer.addTo(this.map);
      if (!visible && this.map.hasLayer(entry.layer)) this.map.removeLayer(entry.layer);
      if (visible && this._selected === shape.id) entry.layer.bringToFront();
      this._renderProblem(shape, visible);
    }
    for (const [id, entry] of this._entries) {
      if (seen.has(id)) continue;
      this.map.removeLayer(entry.layer);
      this._entries.delete(id);
    }
    this._renderHandles();
  }

  // Redraws a shape from the model after a drag that changed only its layer.
  _restore(id) {
    const entry = this._entries.get(id);
    if (entry) entry.shape = null;
    this._render();
  }

  _renderProblem(shape, visible) {
    const problem = this._problems.get(shape.id);
    if (!problem) return;
    if (!visible) {
      if (problem.tooltip) this.map.removeLayer(problem.tooltip);
      problem.tooltip = null;
      return;
    }
    if (problem.tooltip) return;
    const [minX, minY, maxX] = ringBounds(shape.ring);
    const at = problem.point || [(minX + maxX) / 2, minY];
    const content = document.createElement('span');
    content.textContent = problem.message; // server text: never parsed as HTML
    problem.tooltip = L.tooltip({ permanent: true, direction: 'top', className: 'swath-problem', opacity: 1 })
      .setLatLng(toLatLng(at)).setContent(content);
    this.map.openTooltip(problem.tooltip);
    problem.tooltip.getElement().dataset.shape = shape.id;
  }

  _renderHandles(ring) {
    const shape = this._selected !== null && this._mode === 'idle' ? this._find(this._selected) : null;
    const points = shape ? (ring || shape.ring).slice(0, -1) : [];
    while (this._handles.length > points.length) this.map.removeLayer(this._handles.pop());
    while (this._handles.length < points.length) {
      this._handles.push(L.circleMarker([0, 0], {
        renderer: this._renderer, interactive: false, radius: HANDLE_RADIUS, color: '#fff', weight: 1.5,
        fillOpacity: 1,
      }).addTo(this.map));
    }
    const color = shape ? (this.labels.get(shape.label) || {}).color || PALETTE[0] : null;
    points.forEach((point, index) => {
      const handle = this._handles[index];
      handle.setLatLng(toLatLng(point));
      const active = index === this._vertex;
      handle.setStyle({ fillColor: active ? '#ffeb3b' : color, radius: active ? HANDLE_RADIUS + 2 : HANDLE_RADIUS });
      handle.bringToFront();
    });
    const midpoints = shape && shape.kind === 'polygon' && !ring ? this._midpoints(shape.ring) : [];
    while (this._ghosts.length > midpoints.length) this.map.removeLayer(this._ghosts.pop());
    while (this._ghosts.length < midpoints.length) {
      this._ghosts.push(L.circleMarker([0, 0], {
        renderer: this._renderer, interactive: false, radius: HANDLE_RADIUS - 1, color: '#fff', weight: 1,
        fillOpacity: 0.5,
      }).addTo(this.map));
    }
    midpoints.forEach(({ point }, index) => {
      this._ghosts[index].setLatLng(toLatLng(point)).setStyle({ fillColor: color });
      this._ghosts[index].bringToFront();
    });
  }

  // The middles of the edges long enough on screen to hold a handle between their vertices.
  _midpoints(ring) {
    const found = [];
    for (let edge = 0; edge + 1 < ring.length; edge++) {
      const [a, b] = [ring[edge], ring[edge + 1]];
      if (this._screenDistance(a, b) < 6 * HANDLE_RADIUS) continue;
      found.push({ edge, point: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] });
    }
    return found;
  }

  // ---- drawing ----

  /** Starts a polygon of `label`: click vertices; Enter or double-click closes; Backspace
   * removes the last vertex; Escape cancels. */
  drawPolygon(label) {
    return this._start(label, 'polygon');
  }

  /** Starts a box of `label`: press, drag, release. */
  drawBox(label) {
    return this._start(label, 'box');
  }

  _start(label, kind) {
    label = labelName(label);
    if (!this._allows(label, kind)) return false;
    this.cancel();
    this.select(null);
    const color = this.labels.get(label).color;
    const line = { renderer: this._renderer, interactive: false, color, weight: 2 };
    this._draft = {
      label, kind, points: [], start: null,
      line: L.polyline([], line).addTo(this.map),
      rubber: L.polyline([], { ...line, dashArray: '4 4', opacity: 0.8 }).addTo(this.map),
      box: L.polygon([], { ...line, fillOpacity: 0.15 }).addTo(this.map),
      marks: [],
    };
    this._doubleClickZoom = this.map.doubleClickZoom && this.map.doubleClickZoom.enabled();
    if (this._doubleClickZoom) this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add('swath-drawing');
    this._setMode(kind);
    return true;
  }

  /** Abandons the shape being drawn. */
  cancel() {
    if (!this._draft) return;
    for (const layer of [this._draft.line, this._draft.rubber, this._draft.box, ...this._draft.marks]) {
      this.map.removeLayer(layer);
    }
    this._draft = null;
    this._endDrag();
    if (this._doubleClickZoom) this.map.doubleClickZoom.enable();
    this.map.getContainer().classList.remove('swath-drawing');
    this._setMode('idle');
  }

  _setMode(mode) {
    if (mode === this._mode) return;
    this._mode = mode;
    this._render();
    this._emit('mode', { mode });
  }

  _addVertex(point) {
    const draft = this._draft;
    const points = draft.points;
    const last = points[points.length - 1];
    // The two clicks of a double-click land on one spot: one vertex, not two.
    if (last && this._screenDistance(last, point) < DRAG_START) return;
    points.push(point);
    this._drawDraft();
    this._markDraftCrossings();
    if (points.length < 4) return;
    const [a, b] = [points[points.length - 2], point];
    for (let i = 0; i + 1 < points.length - 2; i++) {
      const crossing = segmentIntersection(points[i], points[i + 1], a, b);
      if (crossing) {
        this._message(`The polygon crosses itself at ${coordinates(crossing)}.`, crossing);
        return;
      }
    }
  }

  _removeLastVertex() {
    if (!this._draft || !this._draft.points.length) return;
    this._draft.points.pop();
    this._drawDraft();
    this._markDraftCrossings();
  }

  _drawDraft(cursor) {
    const draft = this._draft;
    if (!cursor) draft.line.setLatLngs(draft.points.map(toLatLng));
    const last = draft.points[draft.points.length - 1];
    draft.rubber.setLatLngs(last && cursor ? [last, cursor, draft.points[0]].map(toLatLng) : []);
  }

  // Circles where the polygon would cross itself if it were closed now.
  _markDraftCrossings() {
    const draft = this._draft;
    for (const mark of draft.marks) this.map.removeLayer(mark);
    draft.marks = [];
    const ring = closeRing(draft.points);
    for (const { point } of ring ? selfIntersections(ring) : []) {
      draft.marks.push(L.circleMarker(toLatLng(point), {
        renderer: this._renderer, interactive: false, radius: 6, color: ERROR, weight: 2, fillOpacity: 0,
      }).addTo(this.map));
    }
  }

  _finishPolygon() {
    const draft = this._draft;
    const ring = closeRing(draft.points);
    if (!ring) {
      this._message('A polygon needs at least 3 distinct vertices.');
      return false;
    }
    const crossings = selfIntersections(ring);
    const shape = freezeShape({ id: this._freshId(), label: draft.label, kind: 'polygon', ring, attributes: {} });
    this.cancel();
    this._commit([...this._shapes, shape]);
    this.select(shape.id);
    if (crossings.length) {
      // A hint, not a refusal: the server validates and has the last word.
      const at = crossings[0].point;
      const text = `This polygon crosses itself at ${coordinates(at)}; the server will refuse it. Drag a vertex to fix it.`;
      this.showProblems([{ id: shape.id, message: text, point: at }]);
      this._message(text, at);
    }
    return true;
  }

  _finishBox(end) {
    const draft = this._draft;
    const ring = boxRing(draft.start, end);
    draft.start = null;
    draft.box.setLatLngs([]);
    if (ringArea(ring) === 0) {
      this._message('Press and drag to draw a box.');
      return;
    }
    const shape = freezeShape({ id: this._freshId(), label: draft.label, kind: 'box', ring, attributes: {} });
    this.cancel();
    this._commit([...this._shapes, shape]);
    this.select(shape.id);
  }

  // ---- pointer ----

  // Clicks are stored no finer than a screen pixel shows and never coarser than a chip pixel.
  _step() {
    const zoom = this.map.getZoom();
    return zoom > 0 ? 2 ** -Math.floor(zoom) : 1;
  }

  _eventPoint(event) {
    return toPoint(this.map.containerPointToLatLng(this.map.mouseEventToContainerPoint(event)));
  }

  _screenDistance(a, b) {
    return this.map.latLngToContainerPoint(toLatLng(a)).distanceTo(this.map.latLngToContainerPoint(toLatLng(b)));
  }

  // What is under a screen point: a handle of the selected shape, else the selected shape, else
  // the smallest visible shape there (so a car inside a car park can be picked).
  _hit(event) {
    const container = this.map.mouseEventToContainerPoint(event);
    const point = toPoint(this.map.containerPointToLatLng(container));
    const tolerance = HIT_TOLERANCE / 2 ** this.map.getZoom();
    const selected = this._selected !== null ? this._find(this._selected) : null;
    if (selected) {
      const ring = selected.ring;
      for (let index = 0; index < ring.length - 1; index++) {
        if (this.map.latLngToContainerPoint(toLatLng(ring[index])).distanceTo(container) <= HIT_TOLERANCE + 1) {
          return { id: selected.id, vertex: index, point };
        }
      }
      for (const { edge, point: middle } of selected.kind === 'polygon' ? this._midpoints(ring) : []) {
        if (this.map.latLngToContainerPoint(toLatLng(middle)).distanceTo(container) <= HIT_TOLERANCE) {
          return { id: selected.id, vertex: null, edge, middle, point };
        }
      }
    }
    const hits = (entry) => {
      const [minX, minY, maxX, maxY] = entry.bounds;
      if (point[0] < minX - tolerance || point[0] > maxX + tolerance ||
          point[1] < minY - tolerance || point[1] > maxY + tolerance) return false;
      if (pointInRing(point, entry.shape.ring)) return true;
      const ring = entry.shape.ring;
      for (let i = 0; i + 1 < ring.length; i++) {
        if (distanceToSegment(point, ring[i], ring[i + 1]) <= tolerance) return true;
      }
      return false;
    };
    if (selected && this._visible(selected.id) && hits(this._entries.get(selected.id))) {
      return { id: selected.id, vertex: null, point };
    }
    let best = null;
    for (const [id, entry] of this._entries) {
      if (!this._visible(id) || !hits(entry)) continue;
      if (!best || entry.area < best.area) best = { id, area: entry.area };
    }
    return best ? { id: best.id, vertex: null, point } : null;
  }

  _onDown(event) {
    // The zoom buttons and other controls sit inside the map's container but are not the map.
    if (event.button !== 0 || event.target.closest('.leaflet-control')) return;
    this._swallowClick = false;
    if (this._mode === 'box') {
      this._draft.start = roundPoint(this._eventPoint(event), this._step());
      this._beginDrag(event, { type: 'box' });
      return;
    }
    if (this._mode !== 'idle') return; // a polygon's vertices come from clicks; the map may pan
    const hit = this._hit(event);
    if (!hit || hit.id !== this._selected) return; // a click selects; a drag pans the map
    const shape = this._find(hit.id);
    if (hit.edge !== undefined) {
      // The drag starts from a ring with the edge's middle as a new vertex; a click alone adds none.
      const ring = [...shape.ring.slice(0, hit.edge + 1), hit.middle, ...shape.ring.slice(hit.edge + 1)];
      this._vertex = hit.edge + 1;
      this._beginDrag(event, { type: 'vertex', shape: { ...shape, ring }, index: hit.edge + 1, inserted: true });
    } else if (hit.vertex !== null) {
      if (event.altKey) {
        event.preventDefault();
        this._swallowClick = true;
        this.removeVertex(hit.id, hit.vertex);
        return;
      }
      this._vertex = hit.vertex;
      this._renderHandles();
      this._beginDrag(event, { type: 'vertex', shape, index: hit.vertex });
    } else {
      this._beginDrag(event, { type: 'move', shape });
    }
  }

  _beginDrag(event, drag) {
    event.preventDefault(); // no text selection, and Leaflet's map dragging stays out of it
    // Preventing the press keeps focus where it was; a form field left focused would swallow
    // the keys (Escape, Delete) meant for the shape just pressed.
    if (isFormField(document.activeElement)) document.activeElement.blur();
    this._drag = { ...drag, from: this._eventPoint(event), x: event.clientX, y: event.clientY, moved: false };
    this._dragging = this.map.dragging && this.map.dragging.enabled();
    if (this._dragging) this.map.dragging.disable();
    window.addEventListener('mousemove', this._onDragMove, true);
    window.addEventListener('mouseup', this._onDragEnd, true);
  }

  _endDrag() {
    if (!this._drag) return;
    window.removeEventListener('mousemove', this._onDragMove, true);
    window.removeEventListener('mouseup', this._onDragEnd, true);
    if (this._dragging) this.map.dragging.enable();
    const drag = this._drag;
    this._drag = null;
    return drag;
  }

  // The ring a drag leads to, from the press to `point` (chip px).
  _draggedRing(drag, point) {
    const step = this._step();
    if (drag.type === 'move') {
      const [dx, dy] = roundPoint([point[0] - drag.from[0], point[1] - drag.from[1]], step);
      // Loaded vertices may be finer than the step; a move keeps their precision.
      return drag.shape.ring.map(([x, y]) => [Number((x + dx).toFixed(9)) + 0, Number((y + dy).toFixed(9)) + 0]);
    }
    const to = roundPoint(point, step);
    const ring = drag.shape.ring.map((each) => [each[0], each[1]]);
    if (drag.shape.kind === 'box') {
      return boxRing(ring[(drag.index + 2) % 4], to);
    }
    ring[drag.index] = to;
    if (drag.index === 0) ring[ring.length - 1] = to;
    return ring;
  }

  _onDragMove(event) {
    const drag = this._drag;
    if (!drag) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < DRAG_START) return;
    drag.moved = true;
    const point = this._eventPoint(event);
    if (drag.type === 'box') {
      const ring = boxRing(this._draft.start, roundPoint(point, this._step()));
      this._draft.box.setLatLngs(ring.slice(0, -1).map(toLatLng));
      return;
    }
    drag.ring = this._draggedRing(drag, point);
    this._entries.get(drag.shape.id).layer.setLatLngs(drag.ring.slice(0, -1).map(toLatLng));
    if (drag.type === 'vertex' && drag.shape.kind === 'box') {
      const to = roundPoint(point, this._step());
      this._vertex = drag.ring.findIndex((each) => each[0] === to[0] && each[1] === to[1]);
    }
    this._renderHandles(drag.ring);
  }

  _onDragEnd(event) {
    const drag = this._endDrag();
    if (!drag) return;
    if (drag.moved) this._swallowClick = true; // the click that ends a drag selects nothing
    if (drag.type === 'box') {
      if (!this._draft) return;
      this._finishBox(roundPoint(this._eventPoint(event), this._step()));
      return;
    }
    const ring = drag.moved ? this._draggedRing(drag, this._eventPoint(event)) : drag.shape.ring;
    const same = ring.every((point, index) => point[0] === drag.shape.ring[index][0] && point[1] === drag.shape.ring[index][1]);
    if (drag.inserted && same) this._vertex = null; // a middle pressed but not moved inserts nothing
    if (!drag.moved) {
      if (drag.inserted) this._renderHandles();
      return;
    }
    if (same || (drag.shape.kind === 'box' && ringArea(ring) === 0)) {
      this._restore(drag.shape.id); // nothing moved, or a box dragged flat: back as it was
      return;
    }
    this._replace(drag.shape.id, { ring });
  }

  _onClick(event) {
    if (this._swallowClick) {
      this._swallowClick = false;
      return;
    }
    if (this._mode === 'polygon') {
      this._addVertex(roundPoint(toPoint(event.latlng), this._step()));
      return;
    }
    if (this._mode !== 'idle') return;
    const hit = this._hit(event.originalEvent);
    const id = hit ? hit.id : null;
    if (id === this._selected) {
      if (!hit || hit.vertex === null) {
        this._vertex = null;
        this._renderHandles();
      }
      return;
    }
    this.select(id);
  }

  _onDoubleClick(event) {
    if (this._mode !== 'polygon' || event.target.closest('.leaflet-control')) return;
    event.preventDefault();
    event.stopPropagation();
    this._finishPolygon();
  }

  _onHover(event) {
    if (this._mode === 'polygon' && this._draft) {
      this._drawDraft(roundPoint(toPoint(event.latlng), this._step()));
      return;
    }
    if (this._drag) return;
    const container = this.map.getContainer();
    const hit = this._mode === 'idle' && this._selected !== null ? this._hit(event.originalEvent) : null;
    container.classList.toggle('swath-over-vertex', Boolean(hit && hit.id === this._selected && hit.vertex !== null));
    container.classList.toggle('swath-over-selected', Boolean(hit && hit.id === this._selected && hit.vertex === null));
  }

  // ---- keyboard ----

  _onKey(event) {
    if (event.defaultPrevented || isFormField(event.target) || !this.map.getContainer().isConnected) return;
    const key = event.key;
    // Enter and Space on a focused button are the button's own.
    if (event.target && event.target.tagName === 'BUTTON' && (key === 'Enter' || key === ' ')) return;
    const ctrl = event.ctrlKey || event.metaKey;
    const handled = () => event.preventDefault();
    if (ctrl && (key === 'z' || key === 'Z')) {
      handled();
      if (this._mode === 'polygon') this._removeLastVertex();
      else if (event.shiftKey) this.redo();
      else this.undo();
      return;
    }
    if (ctrl && (key === 'y' || key === 'Y')) {
      handled();
      this.redo();
      return;
    }
    if (ctrl || event.altKey) return;
    if (this._mode === 'polygon') {
      if (key === 'Enter') { handled(); this._finishPolygon(); }
      else if (key === 'Backspace') { handled(); this._removeLastVertex(); }
      else if (key === 'Escape') { handled(); this.cancel(); }
      return;
    }
    if (this._mode === 'box') {
      if (key === 'Escape') { handled(); this.cancel(); }
      return;
    }
    if (key === 'Escape' && this._drag) {
      handled();
      const drag = this._endDrag();
      this._swallowClick = true;
      if (drag.shape) this._restore(drag.shape.id); // the dragged shape goes back to where it was
      return;
    }
    if (this._selected === null) return;
    if (key === 'Escape') {
      handled();
      this.select(null);
    } else if ((key === 'Delete' || key === 'Backspace') && this._vertex !== null) {
      handled();
      this.removeVertex(this._selected, this._vertex);
    } else if (key === 'Delete') {
      handled();
      this.remove(this._selected);
    }
  }

  // ---- events ----

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _message(text, point) {
    this._emit('message', point ? { text, point } : { text });
  }
}

// Editing an object's geometry. With the drawing tool (js/draw.js) the reviewer moves the
// vertices of the consensus shape, or starts again from one annotator's shape (number keys);
// without it, one annotator's shape replaces the geometry. The same tool draws an object every
// annotator missed. Either way the server validates the shape as it validates a submission, in
// the chip's pixels.

let toolClass;

/** The DrawingTool class, or null where js/draw.js is not there. */
export async function drawingTool() {
  if (toolClass === undefined) {
    try {
      toolClass = (await import('./draw.js')).DrawingTool || null;
    } catch {
      toolClass = null;
    }
  }
  return toolClass;
}

/** The outer ring of a pixel MultiPolygon's first polygon (the tool edits one ring). */
export function outerRing(pixels) {
  return pixels.length ? pixels[0][0] : [];
}

/** The tool's kinds are polygon and box; the label schema says polygon and bbox. */
export function schemaShape(kind) {
  return kind === 'box' ? 'bbox' : 'polygon';
}

export function toolKind(shape) {
  return shape === 'bbox' ? 'box' : 'polygon';
}

/**
 * The Feature a geometry decision sends: the ring in chip pixels, the object's label, shape and
 * voted attributes (the schema's required attributes must be there, as in a submission).
 */
export function decisionFeature({ ring, label, shape, attributes }) {
  return {
    type: 'Feature',
    properties: { ...attributes, label, shape },
    geometry: { type: 'Polygon', coordinates: [ring] },
  };
}

/** One editing session over a Leaflet map, reusing one tool per chip size. */
export class GeometryEditor {
  constructor(map, labels) {
    this.map = map;
    // The tool names the schema's bbox a box.
    this.labels = labels.map((label) => ({ ...label, shapes: label.shapes && label.shapes.map(toolKind) }));
    this.tool = null;
    this.size = null;
  }

  /** The tool for a chip of this size, made once per size; null without js/draw.js. */
  async ensure(width, height) {
    const Tool = await drawingTool();
    if (!Tool) return null;
    const size = `${width}x${height}`;
    if (!this.tool || this.size !== size) {
      if (this.tool && typeof this.tool.destroy === 'function') this.tool.destroy();
      this.tool = new Tool(this.map, { width, height, labels: this.labels });
      this.size = size;
      this.toolMode = 'idle';
      this.tool.addEventListener('mode', (event) => {
        this.toolMode = event.detail.mode;
      });
      // The page listens through these, whichever tool is current.
      this.tool.addEventListener('change', () => this.onChange && this.onChange());
      this.tool.addEventListener('message', (event) => this.onMessage && this.onMessage(event.detail));
    }
    return this.tool;
  }

  /** Starts editing `ring` (pixels) as a shape of `label`; resolves false without the tool. */
  async start({ width, height, ring, label, kind, attributes }) {
    if (!(await this.ensure(width, height))) return false;
    this.tool.load([{ id: 'edit', label, kind, ring, attributes }]);
    this.tool.select('edit');
    return true;
  }

  /** Starts drawing a new shape of `label` as a `kind` ('polygon' or 'box') on an empty tool;
   * resolves false without the tool or when the label is not drawn so. */
  async draw({ width, height, label, kind }) {
    if (!(await this.ensure(width, height))) return false;
    this.tool.load([]);
    return kind === 'box' ? this.tool.drawBox(label) : this.tool.drawPolygon(label);
  }

  /** Marks the edited shape with a message at `point` (chip px), as the server located it. */
  showProblem(message, point) {
    const [shape] = this.tool ? this.tool.shapes : [];
    if (shape) this.tool.showProblems([{ id: shape.id, message, point }]);
  }

  /** Replaces the shape being edited with another ring (an annotator's shape). */
  restart(ring, kind) {
    const [shape] = this.tool.shapes;
    this.tool.load([{ ...shape, id: 'edit', ring, kind }]);
    this.tool.select('edit');
  }

  get mode() {
    return this.tool ? this.toolMode : 'idle';
  }

  /** The edited shape: {ring, kind, label, attributes}, or null when it was deleted. */
  result() {
    const [shape] = this.tool ? this.tool.shapes : [];
    return shape || null;
  }

  stop() {
    if (this.tool) {
      this.tool.cancel();
      this.tool.load([]);
    }
  }
}

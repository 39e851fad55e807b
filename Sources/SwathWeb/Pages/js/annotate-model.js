// The annotator page's pure parts (no DOM, no Leaflet): the label schema as the page uses it,
// the submission built from the drawing tool's shapes, the server's issues mapped back to the
// shapes, the draft kept for the tab, and the lease's time left.

/** The tool's shape kinds and the schema's: the schema says `bbox`, the tool `box`. */
export const toolKind = (shape) => (shape === 'bbox' ? 'box' : shape);
export const schemaShape = (kind) => (kind === 'box' ? 'bbox' : kind);

/** The labels of a label schema document, as the page and DrawingTool use them. */
export function labelsOf(schema) {
  return (schema && schema.labels ? schema.labels : []).map((label) => ({
    name: label.name,
    display_name: label.display_name || label.name,
    color: label.color || null,
    shapes: (label.shapes && label.shapes.length ? label.shapes : ['polygon', 'bbox']).map(toolKind),
    attributes: label.attributes || [],
  }));
}

/** The attributes a shape of `label` is sent with: its own values for the label's attributes,
 * the defaults for those left empty; anything of another label (after a relabel) is dropped. */
export function attributesFor(label, values = {}) {
  const result = {};
  for (const attribute of label ? label.attributes : []) {
    const value = values[attribute.name];
    if (value !== undefined && value !== null && value !== '') result[attribute.name] = value;
    else if (attribute.default !== undefined && attribute.default !== null) result[attribute.name] = attribute.default;
  }
  return result;
}

/** The required attributes of `label` a shape still lacks (after defaults). */
export function missingRequired(label, values = {}) {
  const filled = attributesFor(label, values);
  return (label ? label.attributes : []).filter((attribute) => attribute.required && !(attribute.name in filled))
    .map((attribute) => attribute.name);
}

/** A form field's text as the attribute's value: numbers as numbers, '' as absent. */
export function attributeValue(attribute, raw) {
  if (attribute.type === 'boolean') return Boolean(raw);
  if (raw === '' || raw === null || raw === undefined) return undefined;
  if (attribute.type === 'integer' || attribute.type === 'number') {
    const number = Number(raw);
    return Number.isFinite(number) ? number : raw;
  }
  return raw;
}

/** The ring counter-clockwise on the map (RFC 7946's right-hand rule): chip pixel y points down,
 * so that is clockwise in pixel arithmetic. */
function mapCounterClockwise(ring) {
  let twiceArea = 0;
  for (let index = 0; index + 1 < ring.length; index += 1) {
    const [x1, y1] = ring[index];
    const [x2, y2] = ring[index + 1];
    twiceArea += x1 * -y2 - x2 * -y1;
  }
  return twiceArea < 0 ? [...ring].reverse() : ring;
}

/**
 * The submission of the tool's shapes: a FeatureCollection in chip pixels
 * (`?coordinates=pixel`), feature i being shapes[i], so the server's `features[i]` names a shape.
 */
export function featureCollection(shapes, labelsByName) {
  return {
    type: 'FeatureCollection',
    features: shapes.map((shape) => ({
      type: 'Feature',
      properties: {
        label: shape.label,
        shape: schemaShape(shape.kind),
        ...attributesFor(labelsByName.get(shape.label), shape.attributes),
      },
      geometry: {
        type: 'Polygon',
        coordinates: [mapCounterClockwise(shape.ring.map(([x, y]) => [x, y]))],
      },
    })),
  };
}

/** The issues of a 422 problem document, each with the shape it names (or null for the file). */
export function issuesByShape(problem, shapes) {
  const issues = problem && Array.isArray(problem.issues) ? problem.issues : [];
  return issues.map((issue) => {
    const match = /^features\[(\d+)\]/.exec(issue.path || '');
    const shape = match ? shapes[Number(match[1])] : null;
    return { ...issue, shapeId: shape ? shape.id : null };
  });
}

/** The problems for DrawingTool.showProblems: the errors (warnings only listed), one per shape. */
export function problemsForTool(issues) {
  const byShape = new Map();
  for (const issue of issues) {
    if (!issue.shapeId || issue.severity === 'warning') continue;
    const known = byShape.get(issue.shapeId);
    byShape.set(issue.shapeId, known ? `${known}; ${issue.message}` : issue.message);
  }
  return [...byShape].map(([id, message]) => ({ id, message }));
}

/** Where the draft of a piece of work lives in sessionStorage: per user and lease (or, in a
 * task that assigns its chips, per user and chip). */
export function draftKey(user, work) {
  const where = work.lease ? `lease-${work.lease.id}` : `chip-${work.chip}`;
  return `swath.draft.${user}.${work.task}.${where}`;
}

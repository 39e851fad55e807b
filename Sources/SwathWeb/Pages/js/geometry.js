// Plane geometry on chip pixel coordinates for the drawing tool: a point is [x, y], x to the
// right, y down, origin at the chip's top-left corner. Pure functions (no Leaflet, no DOM), so
// the browser tests can check them on their own.

const same = (a, b) => a[0] === b[0] && a[1] === b[1];

// Removes the float noise of a multiple of a step that is not a power of two (3 × 0.1) and
// turns -0 into 0, so a stored coordinate prints as what it is.
const clean = (value) => Number(value.toFixed(9)) + 0;

/** The point rounded to the nearest multiple of `step` px; `step` is at most 1 (a click is
 * never stored coarser than a pixel) and anything not a positive number counts as 1. */
export function roundPoint(point, step = 1) {
  const s = step > 0 && step <= 1 ? step : 1;
  return [clean(Math.round(point[0] / s) * s), clean(Math.round(point[1] / s) * s)];
}

/** A closed ring (first point repeated last) without consecutive duplicates, or null when the
 * points hold fewer than 3 distinct points (no area can come of them). An already closed ring
 * comes back as it was. */
export function closeRing(points) {
  const kept = [];
  for (const point of points || []) {
    if (!kept.length || !same(kept[kept.length - 1], point)) kept.push([point[0], point[1]]);
  }
  while (kept.length > 1 && same(kept[0], kept[kept.length - 1])) kept.pop();
  const distinct = new Set(kept.map((point) => `${point[0]},${point[1]}`));
  if (distinct.size < 3) return null;
  return [...kept, [kept[0][0], kept[0][1]]];
}

// Twice the signed area of the triangle p q r: > 0 when r is left of p→q (in y-down pixels,
// clockwise on screen), 0 when collinear.
function orient(p, q, r) {
  return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
}

// Whether r, known to be collinear with p q, lies on the segment p q.
function within(p, q, r) {
  return Math.min(p[0], q[0]) <= r[0] && r[0] <= Math.max(p[0], q[0]) &&
    Math.min(p[1], q[1]) <= r[1] && r[1] <= Math.max(p[1], q[1]);
}

/** Where the segments a b and c d meet (crossing or touching), or null when they do not. A
 * collinear overlap answers one of its ends. */
export function segmentIntersection(a, b, c, d) {
  const d1 = orient(c, d, a);
  const d2 = orient(c, d, b);
  const d3 = orient(a, b, c);
  const d4 = orient(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    const t = d1 / (d1 - d2);
    return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
  }
  if (d1 === 0 && within(c, d, a)) return [a[0], a[1]];
  if (d2 === 0 && within(c, d, b)) return [b[0], b[1]];
  if (d3 === 0 && within(a, b, c)) return [c[0], c[1]];
  if (d4 === 0 && within(a, b, d)) return [d[0], d[1]];
  return null;
}

// Adjacent edges p→v and v→q always share v; they only intersect when they fold back onto each
// other along one line (a spike), which answers the nearer far end.
function foldBack(p, v, q) {
  if (orient(p, v, q) !== 0) return null;
  const dot = (p[0] - v[0]) * (q[0] - v[0]) + (p[1] - v[1]) * (q[1] - v[1]);
  if (dot <= 0) return null;
  const dp = Math.hypot(p[0] - v[0], p[1] - v[1]);
  const dq = Math.hypot(q[0] - v[0], q[1] - v[1]);
  return dp <= dq ? [p[0], p[1]] : [q[0], q[1]];
}

/** Where the closed ring crosses or touches itself: [{ point, edges: [i, j] }], edge i running
 * from ring[i] to ring[i + 1], i < j. Edges next to each other share a vertex and only count
 * when they fold back onto each other. Empty for a simple ring. */
export function selfIntersections(ring) {
  const found = [];
  const n = ring.length - 1;
  if (n < 3) return found;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      let point;
      if (adjacent) {
        point = j === i + 1
          ? foldBack(ring[i], ring[j], ring[j + 1])
          : foldBack(ring[n - 1], ring[0], ring[1]);
        // A triangle's three edges are all adjacent; each fold is then found twice at most.
      } else {
        point = segmentIntersection(ring[i], ring[i + 1], ring[j], ring[j + 1]);
      }
      if (point) found.push({ point, edges: [i, j] });
    }
  }
  return found;
}

/** The closed axis-aligned ring with corners a and b, starting at the top-left corner and
 * clockwise on screen (so counter-clockwise once y points up, as GeoJSON wants). */
export function boxRing(a, b) {
  const [x0, x1] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
  const [y0, y1] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
}

/** The area of a closed ring in px², whatever its orientation. */
export function ringArea(ring) {
  let twice = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    twice += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  }
  return Math.abs(twice) / 2;
}

/** [minX, minY, maxX, maxY] of the points. */
export function ringBounds(ring) {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

/** Whether the point is inside the closed ring (even-odd rule). */
export function pointInRing(point, ring) {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The distance from the point to the segment a b. */
export function distanceToSegment(point, a, b) {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, ((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / length2)) : 0;
  return Math.hypot(point[0] - (a[0] + t * dx), point[1] - (a[1] + t * dy));
}

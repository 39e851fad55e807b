// The annotator's page: take the next chip (a lease, or the next assigned chip), draw on it with
// DrawingTool, submit in chip pixels, and see the server's verdict at the shapes it names.
import { api, ApiError, imageURL } from './api.js';
import { DrawingTool } from './draw.js';
import {
  attributeValue, attributesFor, draftKey, featureCollection, issuesByShape, labelsOf,
  missingRequired, problemsForTool,
} from './annotate-model.js';
import { attributeField, clearMessage, element, formatLeft, showError, showMessage, startPage } from './ui.js';

const CONTEXT_MARGIN = 256; // px of neighbouring imagery around the chip
const LEASE_CHECK_MS = 30_000; // how often the page asks whether its lease still runs
const SHORT_LEASE_MS = 5 * 60_000; // below this the clock turns amber

const $ = (id) => document.getElementById(id);
const path = (task, chip = null) =>
  `/tasks/${encodeURIComponent(task)}${chip ? `/chips/${encodeURIComponent(chip)}` : ''}`;

const me = await startPage({ roles: ['annotator', 'admin'], title: 'Annotate' });

const map = L.map('map', {
  crs: L.CRS.Simple, minZoom: -4, maxZoom: 6, zoomSnap: 0.25, zoomDelta: 0.5, attributionControl: false,
  doubleClickZoom: false, boxZoom: false,
});
map.setView([0, 0], 0);
// The message bar above the map comes and goes: Leaflet must hear of its new size.
new ResizeObserver(() => map.invalidateSize({ pan: false })).observe(map.getContainer());

/** The piece of work on screen: { task, chip, lease|null, details, labels, width, height }. */
let work = null;
let tool = null;
let layers = [];
let currentLabel = null;
let currentKind = 'polygon';
let clock = null;
let leaseCheck = null;
let saveTimer = null;
let expired = false;

// ---- taking work ----

$('task-form').addEventListener('submit', (event) => {
  event.preventDefault();
  nextChip().catch(showError);
});

/** How each task open to the annotator gives out chips (GET /me/tasks), by task name. */
const distributions = new Map();

async function refreshTasks() {
  const mine = await api('/me/tasks');
  distributions.clear();
  for (const entry of mine) distributions.set(entry.task, entry.distribution);
  return mine;
}

/** A task that leases gives the next chip; in one that assigns up front the next pending chip of
 * the caller's queue is the work. */
async function nextChip() {
  const task = $('task').value.trim();
  if (!task) return;
  clearMessage();
  if (!distributions.has(task)) await refreshTasks();
  const distribution = distributions.get(task);
  if (!distribution) {
    showMessage(`Task ${task} has no work for you: it is closed, unknown, or none of its chips is yours to answer.`, 'error');
    return;
  }
  if (distribution === 'assigned') {
    const queue = await api(`/queue?task=${encodeURIComponent(task)}`);
    const skipped = skippedChips(task);
    const item = queue.pending.find((entry) => !skipped.includes(entry.chip) && entry.chip !== (work && work.chip));
    if (!item) {
      showMessage(`No chip of ${task} is waiting for you.`, 'ok');
      return;
    }
    await open({ task, chip: item.chip, lease: null, reviewComment: item.review_comment || null });
    return;
  }
  const lease = await api(`${path(task)}/leases`, { method: 'POST' });
  if (!lease) {
    showMessage(`No chip of ${task} needs you now.`, 'ok');
    return;
  }
  await open({ task, chip: lease.chip, lease, reviewComment: lease.review_comment || null });
}

/** Chips skipped in a task that assigns its chips: its queue still lists them, so the tab
 * remembers not to offer them again. */
function skippedChips(task) {
  return JSON.parse(sessionStorage.getItem(`swath.skipped.${me.name}.${task}`) || '[]');
}

function rememberSkipped(task, chip) {
  const skipped = skippedChips(task);
  if (!skipped.includes(chip)) skipped.push(chip);
  sessionStorage.setItem(`swath.skipped.${me.name}.${task}`, JSON.stringify(skipped));
}

/** Shows a chip: its image over the dimmed neighbourhood, the labels and instructions, the
 * lease clock, and the draft kept for it. */
async function open(next) {
  const [details, schema, chipURL] = await Promise.all([
    api(path(next.task, next.chip)),
    api(`${path(next.task)}/labels`),
    imageURL(`${path(next.task, next.chip)}.png`),
  ]);
  const chipImage = await loadImage(chipURL);
  closeWork();
  work = { ...next, details, labels: labelsOf(schema), width: chipImage.naturalWidth, height: chipImage.naturalHeight };
  work.labelsByName = new Map(work.labels.map((label) => [label.name, label]));
  keepWork();
  remember(work.task);

  const chipBounds = L.latLngBounds([[-work.height, 0], [0, work.width]]);
  layers.push(L.imageOverlay(chipURL, chipBounds, { interactive: false, pane: 'overlayPane' }).addTo(map));
  layers.push(L.rectangle(chipBounds, { color: '#ffd54f', weight: 1, fill: false, interactive: false }).addTo(map));
  map.setMaxBounds(chipBounds.pad(1));
  map.fitBounds(chipBounds);
  loadContext(work).catch((error) => showMessage(`The surroundings could not be shown: ${error.message}`, 'info'));

  tool = new DrawingTool(map, { width: work.width, height: work.height, labels: work.labels });
  tool.addEventListener('change', onChange);
  tool.addEventListener('select', () => showSelected());
  tool.addEventListener('mode', ({ detail }) => showMode(detail.mode));
  tool.addEventListener('message', ({ detail }) => showMessage(detail.text, 'info'));

  showWork();
  const restored = restoreDraft();
  if (restored) showMessage(`Your draft of ${restored} shape${restored === 1 ? '' : 's'} is back.`, 'info');
  startClock();
}

/** What a reload needs to come back to this work: the lease, and the reviewer's comment, which
 * only the lease's first answer carries. */
function keepWork() {
  const { task, chip, lease, reviewComment } = work;
  sessionStorage.setItem(`swath.work.${me.name}`, JSON.stringify({ task, chip, lease, reviewComment }));
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('the chip image could not be read'));
    image.src = url;
  });
}

/** The neighbouring imagery from the API, placed by its offset from the chip's corner. */
async function loadContext(shown) {
  const response = await api(`${path(shown.task, shown.chip)}/context.png?margin=${CONTEXT_MARGIN}`, { raw: true });
  const x = Number(response.headers.get('Swath-Offset-X') || 0);
  const y = Number(response.headers.get('Swath-Offset-Y') || 0);
  const url = URL.createObjectURL(await response.blob());
  const image = await loadImage(url);
  if (work !== shown) return URL.revokeObjectURL(url);
  const bounds = L.latLngBounds([[-(y + image.naturalHeight), x], [-y, x + image.naturalWidth]]);
  const layer = L.imageOverlay(url, bounds, { interactive: false, className: 'chip-context' }).addTo(map);
  layer.bringToBack();
  layers.push(layer);
}

function closeWork() {
  if (tool) tool.destroy();
  tool = null;
  for (const layer of layers) layer.remove();
  layers = [];
  clearInterval(clock);
  clearInterval(leaseCheck);
  expired = false;
  work = null;
  $('problems').hidden = true;
}

function finishWork(text) {
  if (work) {
    sessionStorage.removeItem(draftKey(me.name, work));
    sessionStorage.removeItem(`swath.work.${me.name}`);
  }
  closeWork();
  $('work').hidden = true;
  $('lease').hidden = true;
  $('review-comment').hidden = true;
  $('chip-info').textContent = 'Take the next chip when you are ready.';
  showMessage(text, 'ok');
}

// ---- the side panel ----

function showWork() {
  $('work').hidden = false;
  $('comment').value = '';
  const valid = Math.round(work.details.valid_fraction * 100);
  $('chip-info').replaceChildren(
    'Chip ', element('strong', { id: 'chip-name' }, work.chip), ` of ${work.task}`,
    valid < 100 ? ` (${valid} % imagery)` : '',
  );
  $('review-comment').hidden = !work.reviewComment;
  $('review-comment').textContent = work.reviewComment ? `A reviewer sent this chip back: ${work.reviewComment}` : '';
  const instructions = work.details.instructions;
  $('instructions-box').hidden = !instructions;
  $('instructions').textContent = instructions || '';

  $('labels').replaceChildren(...work.labels.map((label, index) => element('li', {},
    element('button', { type: 'button', dataset: { label: label.name }, onclick: () => chooseLabel(label.name) },
      index < 9 ? element('kbd', {}, String(index + 1)) : null,
      element('span', { class: 'swatch', style: `background:${label.color || tool.labels.get(label.name).color}` }),
      label.display_name,
      element('span', { class: 'kinds' }, label.shapes.join(', '))))));
  currentLabel = work.labels.length ? work.labels[0].name : null;
  currentKind = work.labels.length ? work.labels[0].shapes[0] : 'polygon';
  showCurrentLabel();
  setAnswering(true);
  showCount();
  showSelected();
}

function showCurrentLabel() {
  for (const button of $('labels').querySelectorAll('button')) {
    button.classList.toggle('current', button.dataset.label === currentLabel);
  }
}

function showMode(mode) {
  $('draw-polygon').classList.toggle('active', mode === 'polygon');
  $('draw-box').classList.toggle('active', mode === 'box');
}

function showCount() {
  const count = tool ? tool.shapes.length : 0;
  $('shape-count').textContent = `${count} shape${count === 1 ? '' : 's'}`;
}

/** The attribute form of the selected shape, built from its label's schema. */
function showSelected() {
  const shape = tool && tool.selectedId ? tool.shapes.find((candidate) => candidate.id === tool.selectedId) : null;
  $('delete').disabled = !shape;
  $('selected').hidden = !shape;
  if (!shape) return $('attributes').replaceChildren();
  const label = work.labelsByName.get(shape.label);
  const labelSelect = element('select', { id: 'shape-label', name: 'label' },
    ...work.labels.filter((candidate) => candidate.shapes.includes(shape.kind)).map((candidate) =>
      element('option', { value: candidate.name, selected: candidate.name === shape.label }, candidate.display_name)));
  labelSelect.addEventListener('change', () => {
    tool.setLabel(shape.id, labelSelect.value);
    backToMap();
  });
  const fields = [element('label', { for: 'shape-label' }, 'Label'), labelSelect];
  const values = attributesFor(label, shape.attributes);
  const missing = new Set(missingRequired(label, shape.attributes));
  for (const attribute of label ? label.attributes : []) {
    const id = `attribute-${attribute.name}`;
    const value = values[attribute.name];
    const field = attributeField(attribute, value, { id, blank: attribute.required ? 'choose…' : '—' });
    if (missing.has(attribute.name)) field.classList.add('missing');
    field.addEventListener('change', () => {
      if (field.type === 'number' && field.value !== '' && !field.checkValidity()) {
        showMessage(`${attribute.name}: ${field.validationMessage}`, 'error');
        return;
      }
      const next = { ...shape.attributes };
      const given = attributeValue(attribute, field.type === 'checkbox' ? field.checked : field.value);
      if (given === undefined) delete next[attribute.name];
      else next[attribute.name] = given;
      tool.setAttributes(shape.id, next);
      backToMap();
    });
    fields.push(element('label', { for: id, class: attribute.required ? 'required' : null }, attribute.name), field);
  }
  $('attributes').replaceChildren(...fields);
}

function onChange() {
  showCount();
  showSelected();
  scheduleSave();
}

// ---- drawing controls ----

function chooseLabel(name) {
  const label = work.labelsByName.get(name);
  if (!label) return;
  const selected = tool.selectedId && tool.shapes.find((shape) => shape.id === tool.selectedId);
  if (selected && label.shapes.includes(selected.kind)) {
    tool.setLabel(selected.id, name);
    return;
  }
  currentLabel = name;
  showCurrentLabel();
  startDrawing(label.shapes.includes(currentKind) ? currentKind : label.shapes[0]);
}

function startDrawing(kind) {
  if (!tool || expired) return;
  const label = work.labelsByName.get(currentLabel);
  if (label && !label.shapes.includes(kind)) {
    showMessage(`${label.display_name} is drawn as ${label.shapes.join(' or ')}, not ${kind}.`, 'info');
    return;
  }
  currentKind = kind;
  tool.select(null);
  if (kind === 'box') tool.drawBox(currentLabel);
  else tool.drawPolygon(currentLabel);
}

$('draw-polygon').addEventListener('click', () => startDrawing('polygon'));
$('draw-box').addEventListener('click', () => startDrawing('box'));
$('undo').addEventListener('click', () => tool && tool.undo());
$('redo').addEventListener('click', () => tool && tool.redo());
$('delete').addEventListener('click', () => tool && tool.selectedId && tool.remove(tool.selectedId));
$('hide-others').addEventListener('change', (event) => {
  if (tool) tool.hideOthers(event.target.checked);
  backToMap();
});

/** Shortcuts do nothing while a form field has the focus: once a value is chosen, give it back. */
function backToMap() {
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
}

document.addEventListener('keydown', (event) => {
  const target = event.target;
  if (!tool || event.ctrlKey || event.metaKey || event.altKey) return;
  if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
  if (/^[1-9]$/.test(event.key)) {
    const label = work.labels[Number(event.key) - 1];
    if (label && tool.mode === 'idle') chooseLabel(label.name);
    event.preventDefault();
  } else if (event.key === 'p' && tool.mode === 'idle') {
    startDrawing('polygon');
  } else if (event.key === 'b' && tool.mode === 'idle') {
    startDrawing('box');
  } else if (event.key === 'h') {
    $('hide-others').checked = !$('hide-others').checked;
    tool.hideOthers($('hide-others').checked);
  } else if (event.key === 'Escape' && tool.mode === 'idle' && tool.selectedId) {
    tool.select(null);
  }
});

// ---- the draft ----

function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveDraft, 300);
}

function saveDraft() {
  if (!work || !tool) return;
  const shapes = tool.shapes.map(({ id, label, kind, ring, attributes }) => ({ id, label, kind, ring, attributes }));
  try {
    sessionStorage.setItem(draftKey(me.name, work), JSON.stringify({ task: work.task, chip: work.chip, shapes }));
  } catch (error) {
    showMessage(`The draft could not be kept in this tab: ${error.message}`, 'error');
  }
}

function restoreDraft() {
  const text = sessionStorage.getItem(draftKey(me.name, work));
  if (!text) return 0;
  try {
    const draft = JSON.parse(text);
    if (draft.chip !== work.chip || !Array.isArray(draft.shapes) || !draft.shapes.length) return 0;
    tool.load(draft.shapes);
    showCount();
    return tool.shapes.length;
  } catch {
    sessionStorage.removeItem(draftKey(me.name, work));
    return 0;
  }
}

/** Drafts of this user whose lease is no longer running: gone with it. */
function dropStaleDrafts(running) {
  const keep = new Set(running.map((lease) => `lease-${lease.id}`));
  const prefix = `swath.draft.${me.name}.`;
  for (let index = sessionStorage.length - 1; index >= 0; index -= 1) {
    const key = sessionStorage.key(index);
    if (!key || !key.startsWith(prefix)) continue;
    const where = key.slice(key.lastIndexOf('.') + 1);
    if (where.startsWith('lease-') && !keep.has(where)) sessionStorage.removeItem(key);
  }
}

// ---- the lease clock ----

function startClock() {
  const lease = work.lease;
  $('lease').hidden = !lease;
  if (!lease) return;
  tick();
  clock = setInterval(tick, 1000);
  // The lease can also end elsewhere (released from the CLI, ended by an analyst): ask now and then.
  leaseCheck = setInterval(() => checkLease().catch(() => {}), LEASE_CHECK_MS);
}

function tick() {
  if (!work || !work.lease || expired) return;
  const left = Date.parse(work.lease.expires_at) - Date.now();
  $('lease-left').textContent = formatLeft(left);
  $('lease').classList.toggle('short', left < SHORT_LEASE_MS);
  if (left <= 0) leaseExpired();
}

async function checkLease() {
  if (!work || !work.lease || expired) return;
  const running = await api('/leases');
  const mine = running.find((lease) => lease.id === work.lease.id);
  if (!mine) leaseExpired();
  else work.lease = mine;
}

function leaseExpired() {
  if (expired) return;
  expired = true;
  clearInterval(clock);
  $('lease').classList.add('expired');
  $('lease-left').textContent = 'expired';
  $('extend').disabled = true;
  if (work) sessionStorage.removeItem(draftKey(me.name, work));
  setAnswering(false);
  showMessage(`Your lease on ${work ? work.chip : 'the chip'} has expired: the chip went back to the pool and can no longer be submitted. Take the next chip to go on.`, 'error');
}

function setAnswering(on) {
  for (const id of ['submit', 'nothing', 'bad-imagery', 'skip']) $(id).disabled = !on;
  if (on) {
    $('extend').disabled = false;
    $('lease').classList.remove('expired');
  }
}

$('extend').addEventListener('click', async () => {
  if (!work || !work.lease) return;
  try {
    work.lease = await api(`/leases/${work.lease.id}/extend`, { method: 'POST' });
    keepWork();
    tick();
    showMessage(`Lease extended to ${new Date(work.lease.expires_at).toLocaleTimeString()}.`, 'ok');
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) leaseExpired();
    else showError(error);
  }
});

// ---- answering ----

async function answer(action) {
  if (!work || expired) return;
  for (const id of ['submit', 'nothing', 'bad-imagery', 'skip']) $(id).disabled = true;
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && /lease/.test(error.message)) leaseExpired();
    else showError(error);
  } finally {
    if (work && !expired) setAnswering(true);
  }
}

function submitShapes(shapes, body) {
  return api(`${path(work.task, work.chip)}/submissions?coordinates=pixel`, {
    method: 'POST', body: JSON.stringify(body), type: 'application/geo+json',
  });
}

$('submit').addEventListener('click', () => answer(async () => {
  const shapes = [...tool.shapes];
  if (!shapes.length) {
    showMessage('Nothing drawn: press "Nothing here" if there is nothing to label on this chip.', 'info');
    return;
  }
  // Required attributes are checked here first, so the annotator hears of them at the shape at once.
  const unfilled = shapes.map((shape) => ({ shape, missing: missingRequired(work.labelsByName.get(shape.label), shape.attributes) }))
    .filter((entry) => entry.missing.length);
  if (unfilled.length) {
    tool.showProblems(unfilled.map(({ shape, missing }) => ({ id: shape.id, message: `choose ${missing.join(', ')}` })));
    showIssues(unfilled.map(({ shape, missing }) => ({ severity: 'error', message: `${shape.label}: choose ${missing.join(', ')}`, shapeId: shape.id })));
    showMessage(`${unfilled.length} shape${unfilled.length === 1 ? ' lacks' : 's lack'} a required attribute; select ${unfilled.length === 1 ? 'it' : 'them'} to fill ${unfilled.length === 1 ? 'it' : 'them'} in.`, 'error');
    tool.select(unfilled[0].shape.id);
    return;
  }
  try {
    await submitShapes(shapes, featureCollection(shapes, work.labelsByName));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 422) throw error;
    const issues = issuesByShape(error.problem, shapes);
    tool.showProblems(problemsForTool(issues));
    showIssues(issues);
    const located = issues.filter((issue) => issue.shapeId && issue.severity !== 'warning').length;
    showMessage(`The server refused the shapes: ${error.message}.${located ? ' The problems are marked at the shapes; fix them and submit again.' : ''}`, 'error');
    return;
  }
  finishWork(`Submitted ${shapes.length} shape${shapes.length === 1 ? '' : 's'} on ${work.chip}. Thank you!`);
}));

function showIssues(issues) {
  const list = $('problems');
  list.replaceChildren(...issues.map((issue) => element('li', {
    class: issue.severity === 'warning' ? 'warning' : null,
    dataset: issue.shapeId ? { shape: issue.shapeId } : {},
    onclick: issue.shapeId ? () => tool.select(issue.shapeId) : null,
  }, issue.message)));
  list.hidden = !issues.length;
}

// "Nothing here" is an answer (the workflow's vote that the chip holds nothing: an empty
// FeatureCollection); "Bad imagery" and "Skip" give the chip back with a flag and are no vote.
$('nothing').addEventListener('click', () => answer(async () => {
  if (tool.shapes.length && !confirm(`Throw away your ${tool.shapes.length} shape(s) and answer that there is nothing here?`)) return;
  const comment = $('comment').value.trim();
  const body = { type: 'FeatureCollection', features: [] };
  if (comment) body.comment = comment; // a foreign member, kept with the stored file
  await submitShapes([], body);
  finishWork(`Recorded: nothing to label on ${work.chip}.`);
}));

async function flag(kind) {
  const comment = $('comment').value.trim();
  await api(`${path(work.task, work.chip)}/flags`, { method: 'POST', body: comment ? { kind, comment } : { kind } });
  if (!work.lease) rememberSkipped(work.task, work.chip);
}

$('bad-imagery').addEventListener('click', () => answer(async () => {
  await flag('bad_imagery');
  finishWork(`Recorded: ${work.chip} has bad imagery.`);
}));

$('skip').addEventListener('click', () => answer(async () => {
  await flag('skip');
  finishWork(`Skipped ${work.chip}.`);
}));

// ---- where the tab left off ----

function remember(task) {
  const known = new Set(JSON.parse(sessionStorage.getItem(`swath.tasks.${me.name}`) || '[]'));
  known.add(task);
  sessionStorage.setItem(`swath.tasks.${me.name}`, JSON.stringify([...known]));
  $('known-tasks').replaceChildren(...[...known].map((name) => element('option', { value: name })));
}

/** A running lease (or the assigned chip this tab was on) comes back with its draft. */
async function resume() {
  const asked = new URLSearchParams(location.search).get('task');
  const [running, mine] = await Promise.all([api('/leases'), refreshTasks()]);
  dropStaleDrafts(running);
  // The tasks open to this annotator now come first, then those this tab worked in.
  const tasks = new Set([
    ...mine.map((entry) => entry.task),
    ...JSON.parse(sessionStorage.getItem(`swath.tasks.${me.name}`) || '[]'),
  ]);
  for (const lease of running) tasks.add(lease.task);
  $('known-tasks').replaceChildren(...[...tasks].map((name) => element('option', { value: name })));
  const last = JSON.parse(sessionStorage.getItem(`swath.work.${me.name}`) || 'null');
  const lease = running.find((candidate) => (asked ? candidate.task === asked : true)
    && (!last || !last.lease || candidate.id === last.lease.id)) || running.find((candidate) => !asked || candidate.task === asked);
  $('task').value = asked || (lease && lease.task) || (last && last.task) || [...tasks][0] || '';
  if (lease) {
    const comment = last && last.lease && last.lease.id === lease.id ? last.reviewComment : null;
    await open({ task: lease.task, chip: lease.chip, lease, reviewComment: comment || null });
  } else if (last && last.lease) {
    sessionStorage.removeItem(draftKey(me.name, last));
    sessionStorage.removeItem(`swath.work.${me.name}`);
    showMessage(`Your lease on ${last.chip} of ${last.task} has ended; take the next chip.`, 'info');
  } else if (last && !last.lease && (!asked || asked === last.task)) {
    await open({ task: last.task, chip: last.chip, lease: null, reviewComment: last.reviewComment || null });
  }
}

resume().catch(showError);

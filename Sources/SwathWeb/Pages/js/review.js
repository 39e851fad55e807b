// The reviewer's page: the next review item (an object of the latest consensus run, or a chip to
// validate) over its chip image, each annotator's shape under an anonymous letter (the API's
// chip view never names them), the consensus shape, its confidence and conflicts; decisions
// from the keyboard; n gives an undecided object back and takes the next; m draws an object
// every annotator missed.
import { api, imageURL } from './api.js';
import { element, startPage, showMessage, showError, clearMessage, formatLeft } from './ui.js';
import { ChipMap, letterColour } from './review-map.js';
import { choose, comment, attributes as attributesDialog, dialogOpen } from './review-dialogs.js';
import { GeometryEditor, drawingTool, outerRing, decisionFeature, schemaShape, toolKind } from './review-edit.js';

const REASONS = [
  { value: 'not_an_object', text: 'Not an object' },
  { value: 'duplicate', text: 'Duplicate' },
  { value: 'wrong_label', text: 'Wrong label' },
  { value: 'bad_geometry', text: 'Bad geometry' },
];

await startPage({ roles: ['reviewer', 'admin'], title: 'Review' });
const params = new URLSearchParams(location.search);
const task = params.get('task');
const side = document.getElementById('side');
const chipMap = new ChipMap(document.getElementById('map'));
let mode = params.get('mode') === 'chips' ? 'chips' : 'objects';
let labels = [];
let editor = null;
// What is on screen: {kind: 'object', object, lease, view, decided, editing} or {kind: 'chip', view, decided}.
let current = null;
let busy = false;
let leaseTimer = null;
const images = new Map();
// The objects added on this page, the latest first: the answers of the server.
const added = [];

const path = (suffix) => `/tasks/${encodeURIComponent(task)}${suffix}`;

if (!task) {
  chooseTask();
} else {
  try {
    labels = (await api(path('/labels'))).labels;
    editor = new GeometryEditor(chipMap.map, labels);
    editor.onChange = onShapeChange;
    editor.onMessage = ({ text }) => showMessage(text, 'error');
    await next();
  } catch (error) {
    showError(error);
  }
  document.addEventListener('keydown', onKey);
}

/** No task in the address: ask for one (reviewers have no task list in the API). */
function chooseTask() {
  const input = element('input', { name: 'task', required: true, placeholder: 'task name' });
  side.replaceChildren(
    element('h2', {}, 'Which task?'),
    element(
      'form',
      { id: 'task-form', onsubmit: (event) => { event.preventDefault(); location.search = `?task=${encodeURIComponent(input.value.trim())}`; } },
      input,
      ' ',
      element('button', { type: 'submit', class: 'primary' }, 'Review'),
    ),
  );
  input.focus();
}

async function chipImage(chip) {
  if (!images.has(chip)) images.set(chip, await imageURL(path(`/chips/${encodeURIComponent(chip)}.png`)));
  return images.get(chip);
}

async function chipView(chip) {
  return api(path(`/chips/${encodeURIComponent(chip)}/review`));
}

/** n: the next object (the review lease) or the next chip to validate. */
async function next() {
  if (busy) return;
  busy = true;
  stopEditing();
  clearInterval(leaseTimer);
  try {
    clearMessage();
    if (mode === 'objects') {
      const skipped = await giveBack();
      const object = await api(path('/review/next'), { method: 'POST' });
      if (!object) return nothingLeft(`No object of this task needs your review now.${skipped ? ` (${skipped} is back in the queue, undecided.)` : ''}`);
      if (skipped === object.id) {
        showMessage(`Object ${object.id} is the only one left for you: decide it (a, r, l, t, e).`, 'info');
      } else if (skipped) {
        showMessage(`Object ${skipped} given back undecided; it comes back to you after every other object.`, 'info');
      }
      if (!object.chips.length) {
        showMessage(`Object ${object.id} lies on no chip of the task; decide it with the CLI (swath review decide).`, 'error');
        return;
      }
      await showObject(object, object.chips[0]);
    } else {
      const next = await api(path('/review/next-chip'));
      if (!next) return nothingLeft('No chip of this task waits for validation by you.');
      const view = await chipView(next.chip);
      current = { kind: 'chip', view, decided: null };
      chipMap.show(view, await chipImage(next.chip), null);
      render();
    }
  } catch (error) {
    showError(error);
  } finally {
    busy = false;
  }
}

/**
 * Gives the undecided object on screen back (its review lease released), so the queue offers
 * the next one; returns its id, or null when there was nothing to give back. A lease that ended
 * meanwhile (expired, or taken by a decision) has nothing to give back.
 */
async function giveBack() {
  if (!current || current.kind !== 'object' || current.decided || !current.lease) return null;
  const { object, lease } = current;
  try {
    await api(path(`/review/leases/${encodeURIComponent(lease.id)}/release`), { method: 'POST' });
  } catch (error) {
    if (error.status !== 409) throw error;
    current = null;
    return null;
  }
  current = null;
  return object.id;
}

function nothingLeft(text) {
  current = null;
  chipMap.clear();
  render(text);
}

async function showObject(object, chip) {
  const view = await chipView(chip);
  const onChip = view.objects.find((candidate) => candidate.id === object.id);
  current = { kind: 'object', object: { ...object, ...(onChip || {}) }, lease: object.lease, view, chip, decided: null };
  chipMap.show(view, await chipImage(chip), object.id);
  render();
}

/** The lease's time left, said every second; an expired lease is said, never silent. */
function startLeaseClock() {
  clearInterval(leaseTimer);
  const expires = Date.parse(current.lease.expires_at);
  const tick = () => {
    const node = document.getElementById('lease');
    if (!node || !current || current.kind !== 'object') return;
    if (current.decided) {
      node.textContent = 'Lease ended with your decision.';
      node.className = 'lease';
      clearInterval(leaseTimer);
      return;
    }
    const left = expires - Date.now();
    if (left > 0) {
      node.textContent = `Lease: ${formatLeft(left)} left`;
      node.className = left < 60_000 ? 'lease warn' : 'lease';
    } else {
      node.textContent = `Your lease expired at ${new Date(expires).toLocaleTimeString()}: another reviewer may take this object. A decision is still recorded if nobody decided it first; n asks for a new lease.`;
      node.className = 'lease expired';
      clearInterval(leaseTimer);
    }
  };
  tick();
  leaseTimer = setInterval(tick, 1000);
}

function labelOf(name) {
  return labels.find((label) => label.name === name);
}

function attributeText(values) {
  const entries = Object.entries(values || {});
  return entries.length ? entries.map(([name, value]) => `${name} ${value}`).join(', ') : '';
}

/** The side panel: the item, its annotators by letter, the keys, the outcome. */
function render(empty) {
  const modeSwitch = element(
    'p',
    { class: 'modes' },
    element('button', { type: 'button', id: 'mode-objects', class: mode === 'objects' ? 'primary' : null, onclick: () => switchMode('objects') }, 'Objects'),
    ' ',
    element('button', { type: 'button', id: 'mode-chips', class: mode === 'chips' ? 'primary' : null, onclick: () => switchMode('chips') }, 'Chip validation'),
  );
  const header = element('p', { class: 'muted' }, `Task ${task}`);
  if (!current) {
    side.replaceChildren(header, modeSwitch, element('p', { id: 'empty' }, empty || ''), keys());
    return;
  }
  const view = current.view;
  if (current.kind === 'object') {
    const object = current.object;
    const members = new Set(object.members || []);
    const shapesOf = (letter) => view.shapes.filter((shape) => shape.annotator === letter && shape.object === object.id);
    side.replaceChildren(
      header,
      modeSwitch,
      element('h2', {}, 'Object ', element('span', { id: 'object-id' }, object.id)),
      element(
        'table',
        { id: 'object-facts' },
        row('Label', object.label || '—'),
        row('Attributes', attributeText(object.attributes) || '—'),
        row('Confidence', object.confidence.toFixed(2)),
        row('State', object.state.replace('_', ' ')),
        row('Consensus', object.status),
        row('Conflicts', element('span', { id: 'conflicts' }, object.conflicts.length ? object.conflicts.join(', ') : 'none')),
        row('Chip', object.chips.length > 1
          ? element('span', {}, object.chips.map((chip) => element('button', { type: 'button', class: chip === current.chip ? 'primary' : null, onclick: () => showObject(current.object, chip).catch(showError) }, chip)))
          : current.chip),
      ),
      element('p', { id: 'lease', class: 'lease' }),
      element('h2', {}, 'Annotators'),
      element(
        'ul',
        { id: 'letters', class: 'letters' },
        view.annotators.map((letter) => {
          const drawn = shapesOf(letter);
          return element(
            'li',
            { dataset: { letter } },
            element('span', { class: 'swatch', style: `background:${letterColour(letter)}` }),
            element('strong', {}, letter),
            ' ',
            members.has(letter)
              ? drawn.map((shape) => `${shape.label || 'no label'}${attributeText(shape.attributes) ? ` (${attributeText(shape.attributes)})` : ''}`).join('; ')
              : element('span', { class: 'muted' }, 'did not draw it'),
          );
        }),
        element('li', {}, element('span', { class: 'swatch consensus' }), element('strong', {}, 'Consensus'), ' dashed white'),
      ),
      outcome(),
      addedList(),
      keys(),
    );
  } else {
    side.replaceChildren(
      header,
      modeSwitch,
      element('h2', {}, 'Chip ', element('span', { id: 'chip-id' }, view.chip)),
      element('p', {}, `${view.objects.length} consensus object(s); ${view.annotators.length} annotator(s) answered.`),
      element(
        'ul',
        { id: 'letters', class: 'letters' },
        view.annotators.map((letter) => element(
          'li',
          { dataset: { letter } },
          element('span', { class: 'swatch', style: `background:${letterColour(letter)}` }),
          element('strong', {}, letter),
          ` ${view.shapes.filter((shape) => shape.annotator === letter).length} shape(s)`,
        )),
      ),
      outcome(),
      addedList(),
      keys(),
    );
  }
  if (current.kind === 'object') startLeaseClock();
}

function row(name, value) {
  return element('tr', {}, element('th', {}, name), element('td', {}, value));
}

function outcome() {
  const decided = current && current.decided;
  if (!decided) return element('div', { id: 'outcome' });
  return element('div', { id: 'outcome', class: `outcome ${decided.kind}` }, decided.text);
}

/** The objects added on this page, as the server recorded them. */
function addedList() {
  // replaceChildren would write a null as the text "null".
  if (!added.length) return document.createDocumentFragment();
  return element(
    'div',
    {},
    element('h2', {}, 'Added by you'),
    element('ul', { id: 'added' }, added.map((record) => element(
      'li',
      { dataset: { id: String(record.id) } },
      `#${record.id} ${record.label || 'no label'}${attributeText(record.attributes) ? ` (${attributeText(record.attributes)})` : ''} on ${record.chip}, run #${record.run}`,
    ))),
  );
}

function keys() {
  const list = mode === 'objects'
    ? [['a', 'accept'], ['r', 'reject with a reason'], ['l', 'relabel'], ['t', 'attributes'], ['e', 'edit the geometry'], ['m', 'add an object everyone missed (draw it)'], ['n', 'next object (this one goes back undecided)']]
    : [['v', 'validate the chip'], ['i', 'invalidate it (with a comment)'], ['m', 'add an object everyone missed (draw it)'], ['n', 'next chip']];
  return element(
    'div',
    { class: 'keys' },
    element('h2', {}, 'Keys'),
    element('ul', {}, list.map(([key, text]) => element('li', {}, element('kbd', {}, key), ' ', text))),
  );
}

function switchMode(next_) {
  if (mode === next_ || busy) return;
  mode = next_;
  const url = new URL(location.href);
  if (mode === 'chips') url.searchParams.set('mode', 'chips');
  else url.searchParams.delete('mode');
  history.replaceState(null, '', url);
  current = null;
  next();
}

function describe(record) {
  switch (record.decision) {
    case 'reject': return `rejected (${record.reason})`;
    case 'relabel': return `relabelled ${record.label}`;
    case 'attributes': return `attributes set (${attributeText(record.attributes)})`;
    case 'geometry': return 'geometry replaced';
    default: return `${record.decision}ed`;
  }
}

/** Sends a decision; a conflict (decided first by someone else, a newer run) is shown as such. */
async function decide(body) {
  const object = current.object;
  busy = true;
  try {
    const record = await api(path(`/review/objects/${encodeURIComponent(object.id)}/decisions`), { method: 'POST', body });
    current.decided = { kind: 'ok', text: `Recorded: ${object.id} ${describe(record)} by ${record.reviewer}. Press n for the next object.` };
    showMessage(`Object ${object.id} ${describe(record)}.`, 'ok');
  } catch (error) {
    if (error.status === 409) {
      current.decided = { kind: 'conflict', text: `Not recorded: ${error.message} Press n for the next object.` };
      showMessage(`${error.problem.title || 'Conflict'}: ${error.message}`, 'error');
    } else {
      showError(error);
    }
  } finally {
    busy = false;
    stopEditing();
    render();
  }
}

async function reject() {
  const reason = await choose({ title: `Reject ${current.object.id}: why?`, choices: REASONS, freeText: 'another reason', id: 'reject-dialog' });
  if (reason) await decide({ decision: 'reject', reason });
}

async function relabel() {
  const choices = labels.filter((label) => label.name !== current.object.label).map((label) => ({ value: label.name, text: label.display_name || label.name }));
  if (!choices.length) return showMessage('The task has no other label.', 'info');
  const label = await choose({ title: `Relabel ${current.object.id} (now ${current.object.label})`, choices, id: 'relabel-dialog' });
  if (label) await decide({ decision: 'relabel', label });
}

async function setAttributes() {
  const label = labelOf(current.object.label);
  if (!label || !(label.attributes || []).length) return showMessage(`Label ${current.object.label} has no attributes to set.`, 'info');
  const values = await attributesDialog({ label, values: current.object.attributes || {} });
  if (values) await decide({ decision: 'attributes', attributes: values });
}

/** e: edit the geometry with the drawing tool, or (without it) take one annotator's shape. */
async function editGeometry() {
  const object = current.object;
  const members = current.view.shapes.filter((shape) => shape.object === object.id);
  const shape = object.shape || 'polygon';
  if (await drawingTool()) {
    const started = await editor.start({
      width: current.view.width, height: current.view.height, ring: outerRing(object.pixels), label: object.label,
      kind: toolKind(shape), attributes: object.attributes || {},
    });
    if (started) {
      current.editing = { members };
      showMessage(`Editing ${object.id}: drag the vertices or the shape; ${members.map((member, index) => `${index + 1} starts from ${member.annotator}'s shape`).join(', ')}${members.length ? '; ' : ''}Enter saves, Escape cancels.`, 'info');
      return;
    }
  }
  if (!members.length) return showMessage('No annotator\'s shape to take, and no drawing tool here.', 'info');
  const chosen = await choose({
    title: `Replace the geometry of ${object.id} with`,
    choices: members.map((member, index) => ({ value: String(index), text: `${member.annotator}'s shape` })),
    id: 'geometry-dialog',
  });
  if (chosen === null) return;
  const member = members[Number(chosen)];
  await decide({
    decision: 'geometry', chip: current.chip,
    feature: decisionFeature({ ring: outerRing(member.pixels), label: object.label, shape, attributes: object.attributes || {} }),
  });
}

async function saveEdit() {
  if (current.editing.missed) return sendMissed();
  const edited = editor.result();
  if (!edited) return showMessage('The shape was deleted: Escape cancels the edit.', 'error');
  const object = current.object;
  await decide({
    decision: 'geometry', chip: current.chip,
    feature: decisionFeature({ ring: edited.ring, label: object.label, shape: schemaShape(edited.kind), attributes: object.attributes || {} }),
  });
}

/** m: draw an object every annotator missed, on the chip on screen: its label (and shape) by
 * number key, then the shape with the drawing tool; it is sent once drawn. */
async function addMissed() {
  const view = current.view;
  if (!(await drawingTool())) return showMessage('No drawing tool here: add the object with the CLI (swath review add).', 'info');
  const choices = labels.flatMap((label) => (label.shapes && label.shapes.length ? label.shapes : ['polygon', 'bbox']).map((shape) => ({
    value: JSON.stringify([label.name, shape]),
    text: `${label.display_name || label.name} (${shape === 'bbox' ? 'box' : shape})`,
  })));
  const chosen = await choose({ title: `Add an object everyone missed on chip ${view.chip}`, choices, id: 'missed-dialog' });
  if (chosen === null) return;
  const [label, shape] = JSON.parse(chosen);
  const kind = toolKind(shape);
  stopEditing();
  if (!(await editor.draw({ width: view.width, height: view.height, label, kind }))) return;
  current.editing = { members: [], missed: { label, shape, attributes: null, sent: false } };
  showMessage(`Draw the missed ${label}: ${kind === 'box' ? 'press, drag and release' : 'click its vertices; Enter or a double-click closes it'}. It is sent once drawn; Escape cancels.`, 'info');
}

/** The tool's shapes changed: a missed object just drawn is sent at once; after a refusal it
 * waits for Enter, so a reviewer can move several vertices first. */
function onShapeChange() {
  const missed = current && current.editing && current.editing.missed;
  if (!missed || missed.sent || editor.mode !== 'idle' || !editor.result()) return;
  missed.sent = true;
  sendMissed().catch(showError);
}

async function sendMissed() {
  const missed = current.editing.missed;
  const shape = editor.result();
  if (!shape) return showMessage('Draw the shape first (Escape cancels).', 'error');
  missed.sent = true;
  const label = labelOf(missed.label);
  if (missed.attributes === null && label && (label.attributes || []).length) {
    const values = await attributesDialog({ label, values: {} });
    if (!values) return showMessage('Not sent: Enter sends the shape (and asks its attributes), Escape cancels.', 'info');
    missed.attributes = values;
  }
  const chip = current.view.chip;
  busy = true;
  try {
    const record = await api(path('/review/objects'), {
      method: 'POST',
      body: { chip, feature: decisionFeature({ ring: shape.ring, label: missed.label, shape: missed.shape, attributes: missed.attributes || {} }) },
    });
    added.unshift({ ...record, chip });
    chipMap.markAdded(shape.ring);
    showMessage(`Added #${record.id}: the missed ${record.label} on chip ${chip}, recorded by ${record.reviewer}.`, 'ok');
    stopEditing();
    render();
  } catch (error) {
    if (error.status === 422 && error.problem) {
      // The validator's errors, at the shape: where it located the first one, in chip pixels.
      const issues = Array.isArray(error.problem.issues) ? error.problem.issues : [];
      const located = issues.find((issue) => Array.isArray(issue.location));
      editor.showProblem(issues.map((issue) => issue.message).join('; ') || error.message, located && located.location);
      showMessage(`The server refused the shape: ${error.message}. Fix it at the mark (drag its vertices), then Enter sends it again; Escape cancels.`, 'error');
    } else {
      showError(error);
    }
  } finally {
    busy = false;
  }
}

function stopEditing() {
  if (current && current.editing) {
    current.editing = null;
    editor.stop();
  }
}

async function validateChip(verdict) {
  const view = current.view;
  const text = await comment({
    title: verdict === 'validated' ? `Validate chip ${view.chip}` : `Invalidate chip ${view.chip}`,
    label: verdict === 'validated' ? 'Comment' : 'What the annotators should fix',
    required: verdict === 'invalidated',
  });
  if (text === null) return;
  busy = true;
  try {
    const body = text ? { verdict, comment: text } : { verdict };
    const review = await api(path(`/chips/${encodeURIComponent(view.chip)}/review`), { method: 'POST', body });
    current.decided = { kind: 'ok', text: `Recorded: chip ${review.chip} ${review.verdict}${review.comment ? ` — “${review.comment}”` : ''}. Press n for the next chip.` };
    showMessage(`Chip ${review.chip} ${review.verdict}.`, 'ok');
  } catch (error) {
    if (error.status === 409) current.decided = { kind: 'conflict', text: `Not recorded: ${error.message}` };
    showError(error);
  } finally {
    busy = false;
    render();
  }
}

function inField(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function onKey(event) {
  if (busy || dialogOpen() || inField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key;
  if (current && current.editing) {
    // While editing, the drawing tool has the keys; the page keeps Enter, Escape and 1–9.
    if (editor.mode !== 'idle') return;
    if (key === 'Enter') {
      event.preventDefault();
      saveEdit();
    } else if (key === 'Escape') {
      event.preventDefault();
      const missed = current.editing.missed;
      stopEditing();
      showMessage(missed ? 'Nothing added.' : 'Edit cancelled.', 'info');
    } else if (/^[1-9]$/.test(key) && current.editing.members[Number(key) - 1]) {
      event.preventDefault();
      const member = current.editing.members[Number(key) - 1];
      editor.restart(outerRing(member.pixels), toolKind(member.shape));
    }
    return;
  }
  if (key === 'n') {
    event.preventDefault();
    next();
    return;
  }
  if (key === 'm' && current && current.view) {
    event.preventDefault();
    addMissed().catch(showError);
    return;
  }
  if (!current || current.decided) return;
  const actions = current.kind === 'object'
    ? { a: () => decide({ decision: 'accept' }), r: reject, l: relabel, t: setAttributes, e: editGeometry }
    : { v: () => validateChip('validated'), i: () => validateChip('invalidated') };
  const action = actions[key];
  if (!action) return;
  event.preventDefault();
  Promise.resolve(action()).catch(showError);
}


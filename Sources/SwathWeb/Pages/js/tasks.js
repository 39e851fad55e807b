// The analyst's page: the tasks, and for the chosen one its map (chip states over the scene's
// overview, the consensus layer by review state), the annotators' figures, the pairwise
// agreement as a heat map, a consensus run and the exports. Everything comes from documented
// endpoints with the analyst's token; the map is in scene pixels, as the server gives it.
import { api, imageURL } from './api.js';
import { clearMessage, element, showError, showMessage, startPage } from './ui.js';
import { CHIP_COLOURS, REVIEW_COLOURS, REVIEW_ORDER, TaskMapView, agreementColour } from './tasks-map.js';

const EXPORTS = [
  { format: 'geojson', label: 'GeoJSON' },
  { format: 'gpkg', label: 'GeoPackage' },
  { format: 'fgb', label: 'FlatGeobuf' },
];
const OVERVIEW_PIXELS = 2048;

const side = document.getElementById('side');
let view;
let current = null; // the task shown
let overviewURL = null;

function label(state) {
  return state.replace(/_/g, ' ');
}

function figure(value) {
  return value === undefined || value === null ? '–' : value.toFixed(2);
}

/** The panel's fixed parts, filled per task. */
function buildPanel() {
  side.replaceChildren(
    element('h2', {}, 'Tasks'),
    element('ul', { id: 'task-list', class: 'task-list' }),
    element('section', { id: 'task-detail', hidden: true },
      element('h2', { id: 'task-title' }),
      element('button', { id: 'refresh', type: 'button', onclick: () => choose(current) }, 'Refresh'),
      element('p', { id: 'task-facts', class: 'muted' }),
      element('h2', {}, 'Chips'),
      element('ul', { id: 'chip-legend', class: 'legend' }),
      element('h2', {}, 'Consensus'),
      element('p', {},
        element('button', { id: 'run-consensus', type: 'button', class: 'primary', onclick: runConsensus }, 'Run consensus'),
        ' ', element('span', { id: 'consensus-status', class: 'muted' })),
      element('p', { id: 'run-info', class: 'muted' }),
      element('ul', { id: 'object-legend', class: 'legend' }),
      element('h2', {}, 'Exports'),
      element('p', { class: 'exports' },
        ...EXPORTS.map(({ format, label: name }) =>
          element('button', { type: 'button', id: `export-${format}`, dataset: { format }, onclick: () => download(format) }, name))),
      element('p', { id: 'export-status', class: 'muted' }),
      element('h2', {}, 'Annotators'),
      element('table', { id: 'annotators' }),
      element('h2', {}, 'Pairwise agreement (F1)'),
      element('div', { id: 'agreement' })),
  );
}

async function showTasks() {
  const tasks = await api('/tasks');
  const list = document.getElementById('task-list');
  list.replaceChildren(...tasks.map((task) => element('li', { dataset: { task: task.name } },
    element('button', { type: 'button', class: 'link', onclick: () => choose(task.name) }, task.name),
    ' ', element('span', { class: 'muted' }, `${task.image} · ${task.chips} chips · ${task.state}`))));
  if (!tasks.length) list.append(element('li', { class: 'muted' }, 'No task yet.'));
  return tasks;
}

async function choose(name) {
  clearMessage();
  const url = new URL(location.href);
  url.searchParams.set('task', name);
  history.replaceState(null, '', url);
  const changed = name !== current;
  current = name;
  for (const item of document.querySelectorAll('#task-list li')) item.classList.toggle('chosen', item.dataset.task === name);
  try {
    const map = await api(`/tasks/${encodeURIComponent(name)}/map`);
    if (changed) {
      if (overviewURL) URL.revokeObjectURL(overviewURL);
      overviewURL = null;
      try {
        overviewURL = await imageURL(`/tasks/${encodeURIComponent(name)}/overview.png?max=${OVERVIEW_PIXELS}`);
      } catch (error) {
        // The grid still says where the work stands without the imagery under it.
        showMessage(`The scene's overview could not be shown: ${error.message}`, 'error');
      }
      view.showScene(map.scene, overviewURL);
    }
    render(map);
  } catch (error) {
    showError(error);
  }
}

function render(map) {
  document.getElementById('task-detail').hidden = false;
  document.getElementById('task-title').textContent = `Task ${map.task}`;
  document.getElementById('task-facts').textContent =
    `${map.scene.image} (${map.scene.width}×${map.scene.height} px) · ${map.distribution} · ${map.replicas} replicas · ${map.state}`;
  view.showChips(map.chips);
  view.showObjects(map.run);
  view.element.dataset.task = map.task;

  document.getElementById('chip-legend').replaceChildren(...map.states.map((state) =>
    element('li', { dataset: { state, count: map.counts[state] ?? 0 } },
      element('span', { class: 'swatch', style: `background:${CHIP_COLOURS[state]}` }),
      element('span', { class: 'name' }, label(state)),
      element('b', { class: 'count' }, map.counts[state] ?? 0))));

  const info = document.getElementById('run-info');
  const objectLegend = document.getElementById('object-legend');
  if (map.run) {
    info.textContent = `Run #${map.run.id} at ${new Date(map.run.run_at).toLocaleString()}: ${map.run.objects.length} objects`;
    info.dataset.run = map.run.id;
    objectLegend.replaceChildren(...REVIEW_ORDER.map((review) =>
      element('li', { dataset: { review, count: map.run.counts[review] ?? 0 } },
        element('span', { class: 'swatch', style: `background:${REVIEW_COLOURS[review]}` }),
        element('span', { class: 'name' }, label(review)),
        element('b', { class: 'count' }, map.run.counts[review] ?? 0))));
  } else {
    info.textContent = 'No consensus run yet.';
    delete info.dataset.run;
    objectLegend.replaceChildren();
  }
  for (const { format } of EXPORTS) document.getElementById(`export-${format}`).disabled = !map.run;

  document.getElementById('annotators').replaceChildren(
    element('tr', {}, element('th', {}, 'Annotator'), element('th', {}, 'Submissions'),
      element('th', { title: 'F1 on the gold chips' }, 'Gold F1'), element('th', { title: 'F1 against the latest consensus' }, 'Agreement F1')),
    ...map.annotators.map((entry) => element('tr', { dataset: { annotator: entry.annotator } },
      element('td', {}, entry.annotator),
      element('td', { class: 'submissions' }, entry.submissions),
      element('td', { class: 'gold-f1', title: entry.gold_chips ? `${entry.gold_chips} gold chips` : 'no gold answers' }, figure(entry.gold_f1)),
      element('td', { class: 'agreement-f1' }, figure(entry.agreement_f1)))));

  renderAgreement(map.agreement);
}

/** The pairwise agreement matrix as a table of coloured cells, each with its value as data. */
function renderAgreement(agreement) {
  const holder = document.getElementById('agreement');
  if (!agreement || !agreement.annotators.length) {
    holder.replaceChildren(element('p', { class: 'muted' }, 'After a consensus run.'));
    return;
  }
  const names = agreement.annotators;
  holder.replaceChildren(
    element('table', { class: 'heat' },
      element('tr', {}, element('th'), ...names.map((name) => element('th', {}, name))),
      ...names.map((row, i) => element('tr', {},
        element('th', {}, row),
        ...names.map((column, j) => {
          const value = agreement.matrix[i][j];
          return element('td', {
            style: `background:${agreementColour(value)}`, title: `${row} × ${column}`,
            dataset: { row, column, value },
          }, figure(value));
        })))),
    agreement.overall === undefined ? null
      : element('p', { class: 'muted', id: 'agreement-overall' }, `Mean off-diagonal F1: ${figure(agreement.overall)}`),
  );
}

/** Queues a run, follows its job until it ends, then redraws the map. */
async function runConsensus() {
  const button = document.getElementById('run-consensus');
  const status = document.getElementById('consensus-status');
  const task = current;
  button.disabled = true;
  try {
    let job = await api(`/tasks/${encodeURIComponent(task)}/consensus`, { method: 'POST' });
    status.dataset.job = job.id;
    while (job.state === 'queued' || job.state === 'running') {
      status.textContent = job.percent === undefined || job.percent === null
        ? `${job.state}…` : `${job.state} ${Math.round(job.percent)} %`;
      await new Promise((resolve) => setTimeout(resolve, 400));
      job = await api(`/jobs/${job.id}`);
    }
    status.dataset.state = job.state;
    if (job.state === 'failed') {
      status.textContent = 'failed';
      showMessage(`The consensus run failed: ${job.error || 'no reason given'}`, 'error');
    } else {
      status.textContent = 'done';
      showMessage(`Consensus run of ${task} finished.`, 'ok');
      if (task === current) await choose(task);
    }
  } catch (error) {
    status.textContent = '';
    showError(error);
  } finally {
    button.disabled = false;
  }
}

/** Fetches an export with the token and hands it to the browser as a download. */
async function download(format) {
  const task = current;
  const status = document.getElementById('export-status');
  status.textContent = `Exporting ${format}…`;
  try {
    const response = await api(`/tasks/${encodeURIComponent(task)}/export?format=${format}`, { raw: true });
    const blob = await response.blob();
    const name = `${task}.${format}`;
    const url = URL.createObjectURL(blob);
    const link = element('a', { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    // The browser has taken the blob once the click is handled; keep the URL a little longer.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = `Downloaded ${name} (${blob.size} bytes).`;
    Object.assign(status.dataset, { file: name, bytes: blob.size });
  } catch (error) {
    status.textContent = '';
    showError(error);
  }
}

try {
  await startPage({ roles: ['analyst', 'admin'], title: 'Tasks' });
  buildPanel();
  view = new TaskMapView(document.getElementById('map'));
  const tasks = await showTasks();
  const wanted = new URLSearchParams(location.search).get('task');
  if (wanted && tasks.some((task) => task.name === wanted)) await choose(wanted);
  else if (tasks.length === 1) await choose(tasks[0].name);
  document.body.dataset.ready = 'true';
} catch (error) {
  if (error.message !== 'wrong role') showError(error);
}

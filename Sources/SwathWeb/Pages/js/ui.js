// Page furniture every page shares: the header with the user and sign-out, the message bar,
// and turning an API error into words (never a silent failure).
import { signOut, whoAmI } from './api.js';

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Signs the page in (or sends it to sign-in), checks the role, fills the header. */
export async function startPage({ roles, title }) {
  document.getElementById('sign-out').addEventListener('click', signOut);
  let me;
  try {
    me = await whoAmI();
  } catch (error) {
    showError(error);
    throw error;
  }
  document.getElementById('who').textContent = `${me.name} (${me.role})`;
  if (title) document.title = `${title} · Swath`;
  if (roles && !roles.includes(me.role)) {
    showMessage(`This page is for ${roles.join(' or ')}s; you are signed in as ${me.role}.`, 'error');
    throw new Error('wrong role');
  }
  return me;
}

/** The message bar: `kind` is info, ok or error. */
export function showMessage(text, kind = 'info') {
  const bar = document.getElementById('message');
  bar.textContent = text;
  bar.className = `message ${kind}`;
  bar.hidden = !text;
}

export function clearMessage() {
  showMessage('');
}

/** Says what went wrong; an expired or unknown token gets a way back to sign-in. */
export function showError(error) {
  if (error && error.signedOut) {
    const bar = document.getElementById('message');
    bar.className = 'message error';
    bar.hidden = false;
    bar.replaceChildren(
      'Your token is no longer accepted (expired, disabled or signed out). ',
      element('a', { href: `/app/?next=${encodeURIComponent(location.pathname)}` }, 'Sign in again'),
    );
    return;
  }
  showMessage(error && error.message ? error.message : String(error), 'error');
}

/** Time left as m:ss (h:mm:ss past an hour); 0:00 once gone. */
export function formatLeft(milliseconds) {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/**
 * One form field for a label-schema attribute holding `value`: enums as choices (with an empty
 * choice worded `blank`, or none when `blank` is null), booleans as toggles, numbers within their
 * range, text otherwise; required when the schema says so.
 */
export function attributeField(attribute, value, { id, blank }) {
  const common = { id, name: attribute.name, required: attribute.required };
  if (attribute.type === 'enum') {
    return element(
      'select',
      common,
      blank === null ? null : element('option', { value: '', selected: value === undefined }, blank),
      attribute.values.map((choice) => element('option', { value: choice, selected: choice === value }, choice)),
    );
  }
  // Either state of a toggle is an answer, so a checkbox is never `required` (which would demand it ticked).
  if (attribute.type === 'boolean') {
    return element('input', { id, name: attribute.name, type: 'checkbox', checked: value === true });
  }
  if (attribute.type === 'integer' || attribute.type === 'number') {
    return element('input', {
      ...common, type: 'number', min: attribute.minimum, max: attribute.maximum,
      step: attribute.type === 'integer' ? 1 : 'any', value: value ?? '',
    });
  }
  return element('input', { ...common, type: 'text', value: value ?? '' });
}

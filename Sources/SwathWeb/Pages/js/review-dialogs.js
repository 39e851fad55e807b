// Small modal dialogs driven from the keyboard: number keys choose, Enter confirms, Escape
// cancels. Each resolves to the choice, or null when cancelled.
import { attributeField, element } from './ui.js';

/** Whether a dialog is open: the page's own keys wait until it closes. */
export function dialogOpen() {
  return document.querySelector('dialog.review-dialog[open]') !== null;
}

function open(dialog, resolve, focus) {
  let settled = false;
  const done = (value) => {
    if (settled) return;
    settled = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    resolve(value);
  };
  // Escape.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    done(null);
  });
  document.body.append(dialog);
  dialog.showModal();
  // The dialog itself takes focus, so Enter does not press whichever button came first.
  (focus || dialog).focus();
  return done;
}

/**
 * One of `choices` ({value, text}) by its number key or a click; with `freeText` (a placeholder),
 * the key after the last choice focuses a text field whose Enter gives its text.
 */
export function choose({ title, choices, freeText = null, id = 'choice-dialog' }) {
  return new Promise((resolve) => {
    const dialog = element('dialog', { class: 'review-dialog', id, tabindex: '-1' });
    const otherKey = String(choices.length + 1);
    const input = freeText
      ? element('input', { type: 'text', name: 'other', placeholder: freeText, maxlength: '2000' })
      : null;
    let done;
    const list = element(
      'ol',
      { class: 'choices' },
      choices.map((choice, index) =>
        element(
          'li',
          {},
          element(
            'button',
            { type: 'button', dataset: { value: choice.value }, onclick: () => done(choice.value) },
            element('kbd', {}, String(index + 1)),
            ' ',
            choice.text,
          ),
        ),
      ),
      input ? element('li', {}, element('kbd', {}, otherKey), ' ', input) : null,
    );
    dialog.append(
      element('h2', {}, title),
      list,
      element('p', { class: 'muted' }, 'Number key to choose', input ? ', Enter to send the text' : '', ', Escape to cancel.'),
    );
    dialog.addEventListener('keydown', (event) => {
      if (event.target === input) {
        if (event.key === 'Enter') {
          event.preventDefault();
          const text = input.value.trim();
          if (text) done(text);
        }
        return;
      }
      const number = Number(event.key);
      if (Number.isInteger(number) && number >= 1 && number <= choices.length) {
        event.preventDefault();
        done(choices[number - 1].value);
      } else if (input && event.key === otherKey) {
        event.preventDefault();
        input.focus();
      }
    });
    done = open(dialog, resolve);
  });
}

/** A comment: Enter sends (Shift+Enter for a new line); `required` refuses an empty one. */
export function comment({ title, label, required = false, id = 'comment-dialog' }) {
  return new Promise((resolve) => {
    const dialog = element('dialog', { class: 'review-dialog', id, tabindex: '-1' });
    const text = element('textarea', { name: 'comment', rows: '3', maxlength: '2000' });
    const hint = element('p', { class: 'muted' }, required ? 'A comment is required. ' : 'Optional. ', 'Enter to send, Escape to cancel.');
    let done;
    const send = () => {
      const value = text.value.trim();
      if (required && !value) {
        hint.textContent = 'Write a comment for the next annotator first (Escape to cancel).';
        hint.className = 'error';
        return;
      }
      done(value);
    };
    dialog.append(
      element('h2', {}, title),
      element('label', {}, label, text),
      hint,
      element('button', { type: 'button', class: 'primary', onclick: send }, 'Send'),
    );
    text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        send();
      }
    });
    done = open(dialog, resolve, text);
  });
}

/**
 * The attributes of `label` (a label-schema label) as a form: enums as choices, booleans as
 * toggles, numbers within their range, required ones marked; resolves to the values.
 */
export function attributes({ label, values, id = 'attributes-dialog' }) {
  return new Promise((resolve) => {
    const dialog = element('dialog', { class: 'review-dialog', id, tabindex: '-1' });
    const form = element('form', { method: 'dialog' });
    const fields = [];
    for (const attribute of label.attributes || []) {
      const current = values[attribute.name] ?? attribute.default;
      const field = attributeField(attribute, current, { blank: attribute.required ? null : '—' });
      fields.push({ attribute, field });
      form.append(
        element('label', { class: 'attribute' }, attribute.name, attribute.required ? element('span', { class: 'required', title: 'required' }, ' *') : null, ' ', field),
      );
    }
    if (!fields.length) form.append(element('p', {}, `Label ${label.name} has no attributes.`));
    let done;
    form.append(
      element('p', { class: 'muted' }, 'Enter to send, Escape to cancel.'),
      element('button', { type: 'submit', class: 'primary' }, 'Send'),
    );
    // Enter sends from any field (a select would otherwise swallow it).
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && event.target.tagName !== 'BUTTON') {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      const result = {};
      for (const { attribute, field } of fields) {
        if (attribute.type === 'boolean') result[attribute.name] = field.checked;
        else if (field.value === '') continue;
        else if (attribute.type === 'number' || attribute.type === 'integer') result[attribute.name] = Number(field.value);
        else result[attribute.name] = field.value;
      }
      done(result);
    });
    dialog.append(element('h2', {}, `Attributes of ${label.display_name || label.name}`), form);
    done = open(dialog, resolve, fields.length ? fields[0].field : null);
  });
}

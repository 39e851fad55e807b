// Sign-in: the pasted token is checked with /api/v1/me, kept for the tab, and the pages of the
// user's role are offered (or the page they were sent from is opened again).
import { api, signIn, signOut, token } from './api.js';
import { showError, showMessage } from './ui.js';

const form = document.getElementById('sign-in-form');
const pages = document.getElementById('pages');
const next = new URLSearchParams(location.search).get('next');

function showPages(me) {
  document.getElementById('who').textContent = `${me.name} (${me.role})`;
  document.getElementById('sign-out').hidden = false;
  form.hidden = true;
  pages.hidden = false;
  for (const item of pages.querySelectorAll('li')) {
    item.hidden = !item.dataset.roles.split(' ').includes(me.role);
  }
}

document.getElementById('sign-out').addEventListener('click', signOut);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const me = await signIn(document.getElementById('token').value);
    if (next && next.startsWith('/app/')) location.assign(next);
    else showPages(me);
  } catch (error) {
    if (error.signedOut) showMessage('That token is not accepted: check it, or ask your admin for a new one.', 'error');
    else showError(error);
  }
});

if (token()) {
  api('/me').then(showPages, (error) => {
    form.hidden = false;
    showError(error);
  });
} else {
  form.hidden = false;
}

// The one way a page talks to the server: /api/v1 with the user's token as a Bearer header.
// The token lives in sessionStorage (this tab only) and is forgotten on sign-out.

const TOKEN_KEY = 'swath.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer that is not 2xx, with the server's RFC 9457 problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** The token is unknown, disabled or expired: the page must say so and offer to sign in. */
  get signedOut() {
    return this.status === 401;
  }
}

/** Checks a pasted token against the server and keeps it for the tab; resolves to {name, role}. */
export async function signIn(pasted) {
  const candidate = pasted.trim();
  if (!candidate) throw new ApiError(400, { title: 'No token', detail: 'Paste the token you were given.' });
  const response = await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${candidate}` } });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  sessionStorage.setItem(TOKEN_KEY, candidate);
  return response.json();
}

export function signOut() {
  forgetToken();
  location.assign('/app/');
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText || `HTTP ${response.status}`, status: response.status };
  }
}

/**
 * Calls `/api/v1${path}`. `body` is sent as JSON (or as is when a string with `type`).
 * Resolves to the parsed JSON (null for 204), or the Response itself with `raw: true`.
 */
export async function api(path, { method = 'GET', body, type, raw = false, headers = {} } = {}) {
  const current = token();
  if (!current) throw new ApiError(401, { title: 'Not signed in', detail: 'Sign in with your token first.' });
  const sent = { Authorization: `Bearer ${current}`, ...headers };
  let payload;
  if (body !== undefined) {
    sent['Content-Type'] = type || 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, { method, headers: sent, body: payload });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (raw) return response;
  if (response.status === 204) return null;
  const contentType = response.headers.get('Content-Type') || '';
  return contentType.includes('json') ? response.json() : response.text();
}

/** An image the API serves behind the token, as an object URL for <img> or Leaflet. */
export async function imageURL(path) {
  const response = await api(path, { raw: true });
  return URL.createObjectURL(await response.blob());
}

/** Who holds the token: {name, role}; sends the page to sign-in when nobody does. */
export async function whoAmI() {
  if (!token()) {
    location.assign(`/app/?next=${encodeURIComponent(location.pathname + location.search)}`);
    return new Promise(() => {});
  }
  return api('/me');
}

// The /demo page: sign in, let ably-js fetch a token from authUrl with the session cookie, and show what it carries.
// Loaded as a file (never inline) so the page runs under a strict Content-Security-Policy.
'use strict';

(function () {
  const authUrl = new URL('/ably/token', window.location.href).href;
  const byId = (id) => document.getElementById(id);

  // Same origin, so the browser sends the session cookie with ably-js's request to authUrl on its own.
  const ably = new Ably.Rest({ authUrl: authUrl });
  let countdownTimer = null;

  function show(id, visible) {
    byId(id).hidden = !visible;
  }

  function showStatus(message) {
    byId('status').textContent = message || '';
    show('status', Boolean(message));
  }

  // JWT segments are base64url; decode to bytes first so non-ASCII claims survive.
  function decodeSegment(segment) {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function decodeJwt(jwt) {
    const parts = jwt.split('.');
    if (parts.length !== 3) {
      throw new Error('The server did not return a JWT (expected three dot-separated parts).');
    }
    return { header: decodeSegment(parts[0]), claims: decodeSegment(parts[1]) };
  }

  function renderCapability(capabilityJson) {
    const body = byId('capability').querySelector('tbody');
    body.replaceChildren();
    const capability = JSON.parse(capabilityJson || '{}');
    for (const resource of Object.keys(capability).sort()) {
      const row = document.createElement('tr');
      const resourceCell = document.createElement('td');
      resourceCell.className = 'resource';
      resourceCell.textContent = resource;
      const operationsCell = document.createElement('td');
      operationsCell.className = 'operations';
      for (const operation of capability[resource]) {
        const chip = document.createElement('span');
        chip.className = 'op';
        chip.textContent = operation;
        operationsCell.append(chip);
      }
      row.append(resourceCell, operationsCell);
      body.append(row);
    }
  }

  function formatRemaining(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const mmss = String(m).padStart(2, '0') + ':' + String(s).padStart(2, '0');
    return h > 0 ? h + ':' + mmss : mmss;
  }

  function startCountdown(expSeconds) {
    stopCountdown();
    const element = byId('countdown');
    const tick = () => {
      const remaining = Math.max(0, Math.floor(expSeconds - Date.now() / 1000));
      element.textContent = remaining > 0 ? formatRemaining(remaining) : 'expired';
      element.classList.toggle('expired', remaining === 0);
      element.classList.toggle('soon', remaining > 0 && remaining < 60);
      if (remaining === 0) {
        stopCountdown();
      }
    };
    tick();
    countdownTimer = window.setInterval(tick, 1000);
  }

  function stopCountdown() {
    if (countdownTimer !== null) {
      window.clearInterval(countdownTimer);
      countdownTimer = null;
    }
  }

  function renderSnippet() {
    byId('snippet').textContent = [
      "import * as Ably from 'ably';",
      '',
      '// Same origin: the browser sends the session cookie to authUrl.',
      "const realtime = new Ably.Realtime({ authUrl: '" + authUrl + "' });",
      '',
      '// From a server, or another origin (CORS permitting): send the session token from POST /auth/login.',
      'const rest = new Ably.Rest({',
      "  authUrl: '" + authUrl + "',",
      '  authHeaders: { Authorization: `Bearer ${sessionToken}` },',
      '});',
    ].join('\n');
  }

  function renderToken(jwt) {
    const { header, claims } = decodeJwt(jwt);
    const clientId = claims['x-ably-clientId'] || '(none)';
    byId('client-id').textContent = clientId;
    byId('session-user').textContent = clientId;
    byId('kid').textContent = header.kid || '(none)';
    byId('issued').textContent = new Date(claims.iat * 1000).toLocaleString();
    byId('jwt-header').textContent = JSON.stringify(header, null, 2);
    byId('jwt-claims').textContent = JSON.stringify(claims, null, 2);
    byId('jwt-raw').textContent = jwt;
    renderCapability(claims['x-ably-capability']);
    startCountdown(claims.exp);
  }

  function showSignedOut(message) {
    stopCountdown();
    show('checking', false);
    show('token-panel', false);
    show('session', false);
    show('login-panel', true);
    byId('login-error').textContent = message || '';
    show('login-error', Boolean(message));
    byId('username').focus();
  }

  // ably-js calls authUrl itself; a 401 means "no or expired session", anything else is worth showing.
  async function fetchToken() {
    showStatus('');
    try {
      const tokenDetails = await ably.auth.requestToken();
      renderToken(tokenDetails.token);
      show('checking', false);
      show('login-panel', false);
      show('session', true);
      show('token-panel', true);
    } catch (error) {
      if (error && error.statusCode === 401) {
        showSignedOut();
        return;
      }
      show('checking', false);
      showStatus('Could not get a token: ' + describe(error));
    }
  }

  function describe(error) {
    if (!error) {
      return 'unknown error';
    }
    const code = error.code ? ' (code ' + error.code + (error.statusCode ? ', HTTP ' + error.statusCode : '') + ')' : '';
    return (error.message || String(error)) + code;
  }

  async function problemDetail(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || '';
    } catch {
      return '';
    }
  }

  async function onLogin(event) {
    event.preventDefault();
    const submit = byId('login-submit');
    submit.disabled = true;
    show('login-error', false);
    try {
      const response = await fetch('/auth/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username: byId('username').value, password: byId('password').value }),
      });
      if (response.ok) {
        byId('password').value = '';
        await fetchToken();
        return;
      }
      let message = 'Wrong username or password.';
      if (response.status === 429) {
        const retryAfter = response.headers.get('Retry-After');
        message = 'Too many attempts. Try again' + (retryAfter ? ' in ' + retryAfter + ' seconds.' : ' later.');
      } else if (response.status !== 401) {
        message = 'Sign-in failed (HTTP ' + response.status + '). ' + (await problemDetail(response));
      }
      showSignedOut(message);
    } catch (error) {
      showSignedOut('Sign-in failed: ' + describe(error));
    } finally {
      submit.disabled = false;
    }
  }

  async function onLogout() {
    try {
      await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    } finally {
      byId('jwt-raw').textContent = '';
      showSignedOut();
    }
  }

  async function onCopy() {
    const status = byId('copy-status');
    try {
      await navigator.clipboard.writeText(byId('snippet').textContent);
      status.textContent = 'Copied.';
    } catch {
      // Clipboard access needs a secure context or permission; selecting the text still lets people copy it.
      const range = document.createRange();
      range.selectNodeContents(byId('snippet'));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      status.textContent = 'Selected: press Ctrl+C to copy.';
    }
  }

  byId('login-form').addEventListener('submit', onLogin);
  byId('logout').addEventListener('click', onLogout);
  byId('refresh').addEventListener('click', fetchToken);
  byId('copy-snippet').addEventListener('click', onCopy);
  byId('ably-version').textContent = 'ably-js ' + ably.Defaults.version;
  renderSnippet();
  fetchToken();
})();

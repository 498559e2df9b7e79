// The audience page's logic. Plain JavaScript, no framework, no CDN: it is served by votedesk
// itself and must work offline in a studio. The pure parts at the top are exported for the
// table-driven test (node), the rest runs in the browser.
(function (root) {
  'use strict';

  // What the audience is told for every answer of POST /v1/votes (DESIGN.md §4). tone: how it
  // looks; retry: 'auto' (we resend after Retry-After), 'wait' (the voter may resend after it),
  // 'none'.
  const ANSWERS = {
    invalid_json: { tone: 'bad', retry: 'none', text: 'Your vote could not be read. Please reload the page and try again.' },
    missing_field: { tone: 'bad', retry: 'none', text: 'Your vote was incomplete. Please reload the page and try again.' },
    invalid_voter: { tone: 'bad', retry: 'none', text: 'Your voting code is not valid: use up to 64 letters, digits or . _ : @ + -' },
    unknown_option: { tone: 'warn', retry: 'none', reloadSession: true, text: 'That choice is not part of this vote any more. The choices have been reloaded.' },
    bad_request: { tone: 'bad', retry: 'none', text: 'Your vote could not be sent. Please reload the page and try again.' },
    invalid_token: { tone: 'bad', retry: 'none', text: 'This voting link is not valid. Open the link the show gave you again.' },
    forbidden: { tone: 'bad', retry: 'none', text: 'Voting is not allowed from here.' },
    not_found: { tone: 'bad', retry: 'none', text: 'The vote server did not recognise this page. Please reload it.' },
    method_not_allowed: { tone: 'bad', retry: 'none', text: 'The vote server did not accept this request. Please reload the page.' },
    request_timeout: { tone: 'warn', retry: 'wait', text: 'The connection was too slow. Please try again.' },
    window_not_open: { tone: 'warn', retry: 'none', text: 'Voting has not opened yet. Keep this page open: it updates by itself.' },
    window_closed: { tone: 'bad', retry: 'none', text: 'Voting has closed. This vote was not counted.' },
    length_required: { tone: 'bad', retry: 'none', text: 'Your vote could not be sent. Please reload the page and try again.' },
    payload_too_large: { tone: 'bad', retry: 'none', text: 'Your vote was too large to send. Please reload the page.' },
    unsupported_media_type: { tone: 'bad', retry: 'none', text: 'Your vote could not be sent. Please reload the page and try again.' },
    rate_limited: { tone: 'warn', retry: 'wait', text: 'Too many votes from here. You can vote again in {s} s.' },
    headers_too_large: { tone: 'bad', retry: 'none', text: 'Your browser sent too much data. Please reload the page.' },
    overloaded: { tone: 'warn', retry: 'auto', text: 'Lots of votes right now: sending yours again in {s} s…' },
    storage_unavailable: { tone: 'warn', retry: 'auto', text: 'The vote server is catching up: sending yours again in {s} s…' },
  };
  const ERROR_CODES = Object.keys(ANSWERS);
  const MAX_AUTO_RETRIES = 5;
  const MAX_RETRY_AFTER_S = 30;

  // Turns one answer into what to show and do. status 0 = no answer (network).
  function describeAnswer(status, body, retryAfterHeader) {
    if (status === 202 && body && body.status === 'accepted') {
      return { ok: true, tone: 'ok', retry: 'none', text: 'Vote received. Thank you!', receipt: String(body.receipt || '') };
    }
    if (status === 0) {
      return { ok: false, tone: 'warn', retry: 'wait', retryAfterSeconds: 3, code: 'network',
               text: 'No connection to the vote server. Check the Wi-Fi and try again.' };
    }
    const code = body && typeof body.error === 'string' ? body.error : '';
    const known = ANSWERS[code];
    let seconds = parseInt(retryAfterHeader, 10);
    if (!(seconds >= 0)) seconds = known && known.retry !== 'none' ? 2 : 0;
    seconds = Math.min(seconds, MAX_RETRY_AFTER_S);
    if (!known) {
      return { ok: false, tone: 'bad', retry: status >= 500 ? 'wait' : 'none', retryAfterSeconds: seconds,
               code: code || 'http_' + status, text: 'Your vote could not be sent (' + (code || 'HTTP ' + status) + '). Please try again.' };
    }
    return { ok: false, tone: known.tone, retry: known.retry, retryAfterSeconds: seconds, code: code,
             reloadSession: !!known.reloadSession, text: known.text.replace('{s}', String(seconds)) };
  }

  // Server time minus local time, from one /v1/session exchange (NTP-style midpoint), so a
  // phone whose clock is wrong still counts down to the right instant.
  function clockOffsetMs(sentAtMs, receivedAtMs, serverTimeMs) {
    return serverTimeMs - (sentAtMs + receivedAtMs) / 2;
  }

  // "4:59", "1:02:03", and tenths in the last ten seconds ("9.4").
  function formatCountdown(remainingMs) {
    const ms = Math.max(0, remainingMs);
    if (ms < 10000) return (Math.floor(ms / 100) / 10).toFixed(1);
    const total = Math.ceil(ms / 1000);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const ss = String(s).padStart(2, '0');
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  }

  const VOTER_PATTERN = /^[A-Za-z0-9._:@+\-]{1,64}$/;
  function isValidVoter(id) { return typeof id === 'string' && VOTER_PATTERN.test(id); }

  function newVoterId(randomBytes) {
    return 'web-' + Array.from(randomBytes, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }

  const api = { describeAnswer, clockOffsetMs, formatCountdown, isValidVoter, newVoterId, ERROR_CODES, MAX_AUTO_RETRIES };
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = api;
    return;
  }

  // ---- in the browser ---------------------------------------------------------------------
  const doc = root.document;
  const $ = function (id) { return doc.getElementById(id); };
  const STORAGE_KEY = 'votedesk.voter';
  let session = null;
  let offsetMs = 0;
  let voter = null;
  let sending = false;
  let votedOnce = false;
  let resultsEtag = null;
  let lockedUntilMs = 0;

  function storedVoter() {
    try { return root.localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }
  function storeVoter(id) {
    try { root.localStorage.setItem(STORAGE_KEY, id); } catch (e) { /* private mode: keep it in memory */ }
  }

  function chooseVoter(mode) {
    const fromQuery = new URLSearchParams(root.location.search).get('voter');
    if (fromQuery && isValidVoter(fromQuery)) { storeVoter(fromQuery); return fromQuery; }
    if (mode === 'code') return isValidVoter(storedVoter()) ? storedVoter() : null;
    if (mode === 'query') return null;
    let id = storedVoter();
    if (!isValidVoter(id)) {
      const bytes = new Uint8Array(8);
      root.crypto.getRandomValues(bytes);
      id = newVoterId(bytes);
      storeVoter(id);
    }
    return id;
  }

  function showMessage(tone, text, receipt) {
    const box = $('message');
    box.className = 'message ' + tone;
    box.textContent = text;
    if (receipt) {
      const r = doc.createElement('span');
      r.className = 'receipt';
      r.textContent = 'Receipt ' + receipt;
      box.appendChild(r);
    }
    box.hidden = false;
  }

  function isOpen() { return session && session.state === 'open'; }

  function renderState() {
    const state = $('state');
    const open = isOpen();
    const labels = { draft: 'Not open yet', ready: 'Not open yet', open: 'Voting is open', closing: 'Voting has closed',
                     closed: 'Voting has closed', final: 'Final result' };
    state.textContent = labels[session.state] || session.state;
    state.className = 'state ' + (open ? 'open' : (session.state === 'ready' || session.state === 'draft') ? 'waiting' : 'closed');
    const disabled = !open || sending || !voter || Date.now() < lockedUntilMs;
    doc.querySelectorAll('#options button').forEach(function (b) { b.disabled = disabled; });
    $('code-form').hidden = !(session.voter_id === 'code' && !voter);
  }

  function renderOptions() {
    const box = $('options');
    box.textContent = '';
    (session.options || []).forEach(function (option) {
      const button = doc.createElement('button');
      button.type = 'button';
      button.dataset.key = option.key;
      button.setAttribute('aria-pressed', 'false');
      button.setAttribute('aria-label', 'Vote for ' + option.label);
      const swatch = doc.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = option.colour;
      const label = doc.createElement('span');
      label.textContent = option.label;
      const key = doc.createElement('span');
      key.className = 'key';
      key.textContent = option.key;
      button.append(swatch, label, key);
      button.addEventListener('click', function () { vote(option.key, button, 0); });
      box.appendChild(button);
    });
  }

  function tick() {
    if (session) {
      const countdown = $('countdown');
      countdown.textContent = isOpen() && session.closes_at_ms
        ? formatCountdown(session.closes_at_ms - (Date.now() + offsetMs)) : '';
      renderState();
    }
    root.setTimeout(tick, 100);
  }

  function loadSession() {
    const sentAt = Date.now();
    return fetch('/v1/session', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) {
      offsetMs = clockOffsetMs(sentAt, Date.now(), s.server_time_ms);
      const changedOptions = !session || session.id !== s.id ||
        JSON.stringify(session.options) !== JSON.stringify(s.options);
      session = s;
      doc.title = s.title ? s.title + ' — vote' : 'Vote';
      $('title').textContent = s.title || '';
      $('question').textContent = s.question || s.title || '';
      if (voter === null) voter = chooseVoter(s.voter_id);
      if (changedOptions) renderOptions();
      renderState();
    }).catch(function () {
      $('state').textContent = 'Connecting to the vote server…';
    });
  }

  function vote(key, button, attempt) {
    if (!isOpen() || sending || !voter) return;
    sending = true;
    renderState();
    doc.querySelectorAll('#options button').forEach(function (b) { b.setAttribute('aria-pressed', String(b === button)); });
    fetch('/v1/votes', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                         body: JSON.stringify({ voter: voter, option: key }) })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          return describeAnswer(r.status, body, r.headers.get('Retry-After'));
        });
      }, function () { return describeAnswer(0, null, null); })
      .then(function (answer) {
        sending = false;
        showMessage(answer.tone, answer.text, answer.receipt);
        if (answer.ok) {
          votedOnce = true;
          pollResults();
        } else if (answer.retry === 'auto' && attempt < MAX_AUTO_RETRIES) {
          sending = true;
          root.setTimeout(function () { sending = false; vote(key, button, attempt + 1); }, answer.retryAfterSeconds * 1000);
        } else if (answer.retry === 'wait') {
          lockedUntilMs = Date.now() + answer.retryAfterSeconds * 1000;
        }
        if (answer.reloadSession) loadSession();
        renderState();
      });
  }

  function renderResults(data) {
    const list = $('result-rows');
    list.textContent = '';
    const colours = {};
    (session && session.options || []).forEach(function (o) { colours[o.key] = o.colour; });
    (data.results || []).forEach(function (row) {
      const li = doc.createElement('li');
      const bar = doc.createElement('span');
      bar.className = 'bar';
      bar.style.width = Math.max(0, Math.min(100, Number(row.percent))) + '%';
      bar.style.background = colours[row.key] || '#888';
      const label = doc.createElement('span');
      label.textContent = row.label;
      const pct = doc.createElement('span');
      pct.className = 'pct';
      pct.textContent = Number(row.percent).toFixed(1) + ' %';
      li.append(bar, label, pct);
      list.appendChild(li);
    });
    const total = data.total || 0;
    $('results-total').textContent = total.toLocaleString() + (total === 1 ? ' vote' : ' votes');
    $('results').hidden = false;
  }

  // Results are shown only when the session lets them out (a 404 not_published hides them).
  function pollResults() {
    const headers = resultsEtag ? { 'If-None-Match': resultsEtag } : {};
    return fetch('/v1/results', { headers: headers, cache: 'no-store' }).then(function (r) {
      if (r.status === 304) return;
      if (r.status !== 200) { $('results').hidden = true; resultsEtag = null; return; }
      resultsEtag = r.headers.get('ETag');
      return r.json().then(renderResults);
    }).catch(function () { /* keep what is shown */ });
  }

  $('code-form').addEventListener('submit', function (event) {
    event.preventDefault();
    const code = $('code').value.trim();
    if (!isValidVoter(code)) { showMessage('bad', ANSWERS.invalid_voter.text); return; }
    voter = code;
    storeVoter(code);
    renderState();
  });

  loadSession().then(pollResults);
  root.setInterval(loadSession, 2000);
  root.setInterval(function () { if (votedOnce || (session && session.state !== 'open')) pollResults(); }, 3000);
  tick();
})(typeof window !== 'undefined' ? window : this);

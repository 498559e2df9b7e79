// The audience page in a real browser: Debian's chromium driven by playwright-core. Starts a
// headless votedesk on loopback, opens the page at phone size, votes, watches the state change
// without a reload, and saves screenshots.
//   node audience.browser.js <votedesk binary> <screenshot folder>
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [binary, shots] = process.argv.slice(2);
if (!binary || !shots) {
  console.error('usage: node audience.browser.js <votedesk binary> <screenshot folder>');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'votedesk-browser-'));
const TIMEOUT_MS = 15000;

function fail(message) {
  throw new Error(message);
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--headless', '--port', '0', '--db', path.join(work, 'votedesk.db')],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, XDG_CONFIG_HOME: work } });
    let out = '';
    const timer = setTimeout(() => reject(new Error('votedesk did not start: ' + out)), TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${match[1]}` });
      }
    });
    child.once('exit', (code) => reject(new Error(`votedesk exited (${code}): ${out}`)));
  });
}

async function api(base, method, urlPath, body) {
  const response = await fetch(base + urlPath, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function main() {
  const { child, base } = await startServer();
  let browser;
  try {
    const created = await api(base, 'POST', '/v1/admin/sessions', {
      title: 'Studio final', question: 'Who should win tonight?', window_seconds: 600,
      options: [
        { key: 'A', label: 'Aurora Lindqvist', colour: '#e6194b' },
        { key: 'B', label: 'The Brass Collective', colour: '#3cb44b' },
        { key: 'C', label: 'Chloé & Mateus', colour: '#4363d8' },
      ],
    });
    if (created.status !== 201) fail('session not created: ' + JSON.stringify(created));

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const consoleErrors = [];
    // A 404 not_published for /v1/results is an answer the page expects (results not out yet),
    // which Chromium logs as a failed resource; anything else logged as an error fails the test.
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: .* 404/.test(message.text()))
        consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));

    await page.goto(base + '/');
    await page.getByRole('heading', { name: 'Who should win tonight?' }).waitFor();
    await page.locator('#state', { hasText: 'Not open yet' }).waitFor();
    const buttons = page.locator('#options button');
    if (await buttons.count() !== 3) fail('expected three choices');
    if (!(await buttons.nth(0).isDisabled())) fail('choices must be disabled before the lines open');
    await page.screenshot({ path: path.join(shots, 'audience-1-waiting.png') });

    const opened = await api(base, 'POST', '/v1/admin/window', { action: 'open' });
    if (opened.status !== 200) fail('lines not opened: ' + JSON.stringify(opened));
    await page.locator('#state', { hasText: 'Voting is open' }).waitFor(); // no reload: the page polls
    await page.waitForFunction(() => /^\d+:\d\d$/.test(document.getElementById('countdown').textContent));
    await page.screenshot({ path: path.join(shots, 'audience-2-open.png') });

    await page.getByRole('button', { name: 'Vote for The Brass Collective' }).click();
    await page.locator('#message', { hasText: 'Vote received' }).waitFor();
    const receipt = await page.locator('#message .receipt').textContent();
    if (!/^Receipt \d+-\d+$/.test(receipt)) fail('no receipt shown: ' + receipt);
    await page.screenshot({ path: path.join(shots, 'audience-3-voted.png') });

    const voter = await page.evaluate(() => localStorage.getItem('votedesk.voter'));
    if (!/^web-[0-9a-f]{16}$/.test(voter)) fail('voter id not kept in the browser: ' + voter);
    const results = await api(base, 'GET', '/v1/admin/results');
    if (results.json.raw.B !== 1 || results.json.accepted !== 1) fail('the tally did not move: ' + JSON.stringify(results.json));

    // The same browser votes again: last_wins keeps one ballot for this voter.
    await page.getByRole('button', { name: 'Vote for Aurora Lindqvist' }).click();
    const afterChange = await (async () => {
      for (let i = 0; i < 50; ++i) {
        const r = await api(base, 'GET', '/v1/admin/results');
        if (r.json.accepted === 2) return r.json;
        await new Promise((resolve) => setTimeout(resolve, 100)); // polling the server, bounded
      }
      return null;
    })();
    if (!afterChange || afterChange.exact.A !== 1 || afterChange.exact.B !== 0 || afterChange.unique_voters !== 1)
      fail('a changed vote must count once for A: ' + JSON.stringify(afterChange));

    const closed = await api(base, 'POST', '/v1/admin/window', { action: 'close' });
    if (closed.status !== 200) fail('lines not closed: ' + JSON.stringify(closed));
    await page.locator('#state', { hasText: 'Voting has closed' }).waitFor();
    if (!(await buttons.nth(0).isDisabled())) fail('choices must be disabled after the close');
    // Results stay hidden until the operator publishes them (the session's default
    // visibility is on_publish), then appear without a reload.
    if (await page.locator('#results').isVisible()) fail('results shown before they were published');
    await page.screenshot({ path: path.join(shots, 'audience-4-closed.png') });
    const published = await api(base, 'POST', '/v1/admin/window', { action: 'publish' });
    if (published.status !== 200) fail('results not published: ' + JSON.stringify(published));
    await page.locator('#results').waitFor({ state: 'visible' });
    const firstRow = await page.locator('#result-rows li').first().textContent();
    if (!/Aurora Lindqvist\s*100\.0 %/.test(firstRow)) fail('unexpected first result row: ' + firstRow);
    await page.screenshot({ path: path.join(shots, 'audience-5-results.png') });

    // 320 px wide: nothing may overflow sideways.
    await page.setViewportSize({ width: 320, height: 640 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) fail(`the page is ${overflow}px wider than a 320px screen`);
    await page.screenshot({ path: path.join(shots, 'audience-6-narrow.png') });

    // A session that hands out voting codes: the page asks for one and votes with it.
    const coded = await api(base, 'POST', '/v1/admin/sessions', {
      title: 'Jury room', question: 'Best newcomer?', window_seconds: 600, voter_id: 'code',
      options: [{ key: 'X', label: 'Xiomara' }, { key: 'Y', label: 'Yusuf' }],
    });
    if (coded.status !== 201) fail('code session not created: ' + JSON.stringify(coded));
    await api(base, 'POST', '/v1/admin/window', { action: 'open' });
    const fresh = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const codePage = await fresh.newPage();
    codePage.setDefaultTimeout(TIMEOUT_MS);
    await codePage.goto(base + '/');
    await codePage.getByRole('heading', { name: 'Best newcomer?' }).waitFor();
    await codePage.locator('#code-form').waitFor({ state: 'visible' });
    if (!(await codePage.getByRole('button', { name: 'Vote for Yusuf' }).isDisabled()))
      fail('choices must wait for a voting code');
    await codePage.getByLabel('Your voting code').fill('TICKET-0042');
    await codePage.getByRole('button', { name: 'Use this code' }).click();
    await codePage.getByRole('button', { name: 'Vote for Yusuf' }).click();
    await codePage.locator('#message', { hasText: 'Vote received' }).waitFor();
    await codePage.screenshot({ path: path.join(shots, 'audience-7-code.png') });
    const log = await fetch(base + '/v1/admin/votes').then((r) => r.text());
    if (!/\r\n\d+,TICKET-0042,Y,/.test(log)) fail('the vote was not stored under the typed code: ' + log);

    if (consoleErrors.length) fail('the page logged errors: ' + consoleErrors.join(' | '));
    console.log('audience page: waiting, open, voted (receipt ' + receipt.slice(8) + '), changed vote, closed, published, 320px, voting code: OK');
  } finally {
    if (browser) await browser.close();
    await new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error('FAIL: ' + error.message);
  process.exit(1);
});

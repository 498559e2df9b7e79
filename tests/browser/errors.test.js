// Table-driven test of the audience page's answer handling (resources/audience/audience.js):
// every answer of POST /v1/votes in DESIGN.md §4 gets a message an audience understands and
// the right follow-up (automatic retry, retry after Retry-After, or none).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const page = require(path.join(__dirname, '..', '..', 'resources', 'audience', 'audience.js'));

const table = [
  // status, code, retry-after header, expected tone, expected retry, words the text must contain
  [400, 'invalid_json', null, 'bad', 'none', /could not be read/],
  [400, 'missing_field', null, 'bad', 'none', /incomplete/],
  [400, 'invalid_voter', null, 'bad', 'none', /voting code is not valid/],
  [400, 'unknown_option', null, 'warn', 'none', /not part of this vote/],
  [400, 'bad_request', null, 'bad', 'none', /could not be sent/],
  [401, 'invalid_token', null, 'bad', 'none', /link is not valid/],
  [403, 'forbidden', null, 'bad', 'none', /not allowed/],
  [404, 'not_found', null, 'bad', 'none', /did not recognise/],
  [405, 'method_not_allowed', null, 'bad', 'none', /did not accept/],
  [408, 'request_timeout', null, 'warn', 'wait', /too slow/],
  [409, 'window_not_open', null, 'warn', 'none', /not opened yet/],
  [409, 'window_closed', null, 'bad', 'none', /closed/],
  [411, 'length_required', null, 'bad', 'none', /could not be sent/],
  [413, 'payload_too_large', null, 'bad', 'none', /too large/],
  [415, 'unsupported_media_type', null, 'bad', 'none', /could not be sent/],
  [429, 'rate_limited', '7', 'warn', 'wait', /again in 7 s/],
  [431, 'headers_too_large', null, 'bad', 'none', /too much data/],
  [503, 'overloaded', '2', 'warn', 'auto', /again in 2 s/],
  [503, 'storage_unavailable', '3', 'warn', 'auto', /again in 3 s/],
];

test('every error code of the API has a row in this table', () => {
  const tested = new Set(table.map((row) => row[1]));
  for (const code of page.ERROR_CODES) assert.ok(tested.has(code), `no row for ${code}`);
  for (const code of ['invalid_json', 'missing_field', 'invalid_voter', 'unknown_option', 'bad_request',
    'invalid_token', 'not_found', 'method_not_allowed', 'window_not_open', 'window_closed', 'length_required',
    'payload_too_large', 'unsupported_media_type', 'rate_limited', 'headers_too_large', 'overloaded',
    'storage_unavailable']) {
    assert.ok(page.ERROR_CODES.includes(code), `DESIGN.md §4 code ${code} is not handled by the page`);
  }
});

for (const [status, code, retryAfter, tone, retry, words] of table) {
  test(`${status} ${code}`, () => {
    const answer = page.describeAnswer(status, { error: code, message: 'server text' }, retryAfter);
    assert.equal(answer.ok, false);
    assert.equal(answer.code, code);
    assert.equal(answer.tone, tone);
    assert.equal(answer.retry, retry);
    assert.match(answer.text, words);
    if (retryAfter !== null) assert.equal(answer.retryAfterSeconds, Number(retryAfter));
  });
}

test('202 shows the receipt', () => {
  const answer = page.describeAnswer(202, { status: 'accepted', receipt: '3-1234' }, null);
  assert.equal(answer.ok, true);
  assert.equal(answer.receipt, '3-1234');
  assert.match(answer.text, /Vote received/);
});

test('no answer at all is a connection problem the voter can retry', () => {
  const answer = page.describeAnswer(0, null, null);
  assert.equal(answer.ok, false);
  assert.equal(answer.retry, 'wait');
  assert.match(answer.text, /No connection/);
});

test('an unknown code still names itself, and 5xx may be retried', () => {
  const answer = page.describeAnswer(502, null, null);
  assert.match(answer.text, /HTTP 502/);
  assert.equal(answer.retry, 'wait');
  assert.equal(page.describeAnswer(418, { error: 'teapot' }, null).retry, 'none');
});

test('Retry-After is capped and defaults sensibly', () => {
  assert.equal(page.describeAnswer(503, { error: 'overloaded' }, '3600').retryAfterSeconds, 30);
  assert.equal(page.describeAnswer(503, { error: 'overloaded' }, null).retryAfterSeconds, 2);
  assert.equal(page.describeAnswer(503, { error: 'overloaded' }, 'soon').retryAfterSeconds, 2);
});

test('countdown format, with tenths in the last ten seconds', () => {
  assert.equal(page.formatCountdown(300000), '5:00');
  assert.equal(page.formatCountdown(61001), '1:02');
  assert.equal(page.formatCountdown(3723000), '1:02:03');
  assert.equal(page.formatCountdown(10000), '0:10');
  assert.equal(page.formatCountdown(9450), '9.4');
  assert.equal(page.formatCountdown(-5), '0.0');
});

test('clock offset corrects a phone whose clock is wrong', () => {
  // Sent at 1000 and answered at 1100 by the phone's clock; the server said 5050.
  assert.equal(page.clockOffsetMs(1000, 1100, 5050), 4000);
});

test('voter ids', () => {
  assert.ok(page.isValidVoter('web-0a1b2c3d4e5f6a7b'));
  assert.ok(!page.isValidVoter('has space'));
  assert.ok(!page.isValidVoter('x'.repeat(65)));
  assert.equal(page.newVoterId(new Uint8Array([0, 255, 16])), 'web-00ff10');
});

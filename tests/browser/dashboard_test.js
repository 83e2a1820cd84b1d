// The dashboard in Debian's headless Chromium against a real fleetpatchd with real agents
// (driven by tests/integration/dashboard.sh, which prepares the fleet and checks the hosts'
// packages afterwards). Environment: FP_URL, FP_USERS (JSON {role: [user, password]}),
// FP_SHOTS (screenshot directory), FP_HOSTS (JSON {name: id}). Exit 0 = every check passed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const URL = process.env.FP_URL;
const USERS = JSON.parse(process.env.FP_USERS);
const SHOTS = process.env.FP_SHOTS;
const HOSTS = JSON.parse(process.env.FP_HOSTS);
let passed = 0;
const failures = [];
function ok(cond, what) {
  if (cond) { passed++; console.log('ok ' + passed + ': ' + what); } else { failures.push(what); console.log('FAIL: ' + what); }
  return cond;
}
function must(cond, what) { if (!ok(cond, what)) throw new Error('stopping: ' + what); }

// Deadlock guards, never performance bounds: generous on purpose (a stuck wait fails with the
// step's name instead of hanging until meson's timeout).
const GUARD_MS = 120000;
const ROLLOUT_GUARD_MS = 600000;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

// Each session is its own tab: sessionStorage (where the token is) belongs to one tab.
async function session(browser, who) {
  const ctx = browser;
  const page = await ctx.newPage();
  page.cspErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.cspErrors.push(m.text()); });
  page.on('pageerror', (e) => page.cspErrors.push('pageerror: ' + e.message));
  const resp = await page.goto(URL + '/');
  if (who) await login(page, who);
  return { ctx, page, resp };
}

async function login(page, role) {
  const [user, password] = USERS[role];
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body[data-ready="overview"]');
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: false });
}

// HTTP status of an API call made from the page with its session's token.
function apiStatus(page, method, p) {
  return page.evaluate(async ([m, u]) => {
    const r = await fetch(u, { method: m, headers: { Authorization: 'Bearer ' + sessionStorage.getItem('fleetpatch.token'), 'Content-Type': 'application/json' }, body: m === 'GET' ? undefined : '{}' });
    const d = await r.json().catch(() => null);
    return [r.status, d && d.error ? d.error.code : null];
  }, [method, p]);
}

async function rowsOf(page) {
  return page.$$eval('#hosts-table tbody th a', (as) => as.map((a) => a.textContent));
}

async function main() {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-chromium-'));
  // The server's certificate is signed by the test's own CA; Chromium is told to accept it
  // through this fresh profile's context only (no system trust store is touched).
  const browser = await chromium.launchPersistentContext(udd, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS,
    ignoreHTTPSErrors: true, viewport: { width: 1366, height: 768 } });
  browser.setDefaultTimeout(GUARD_MS);
  try {
    // ---- the page itself: headers, no inline script, sign-in ----
    const { page: op, resp } = await session(browser, null);
    const hd = resp.headers();
    must(resp.status() === 200, 'GET / answers 200');
    ok(/script-src 'self'/.test(hd['content-security-policy'] || '') && /frame-ancestors 'none'/.test(hd['content-security-policy']),
      'GET / has a Content-Security-Policy with script-src self and frame-ancestors none');
    ok(hd['x-content-type-options'] === 'nosniff' && hd['referrer-policy'] === 'no-referrer' && !!hd.etag, 'nosniff, Referrer-Policy and an ETag');
    ok((await op.$$eval('script:not([src])', (s) => s.length)) === 0, 'no inline script in the page');
    await op.getByLabel('User').fill(USERS.author[0]);
    await op.getByLabel('Password').fill('wrong password');
    await op.getByRole('button', { name: 'Sign in' }).click();
    await op.getByText('Wrong user or password.').waitFor();
    ok(true, 'a wrong password is refused with a clear message');
    await shot(op, 'login');
    await login(op, 'author');
    ok(await op.evaluate(() => !!sessionStorage.getItem('fleetpatch.token') && !localStorage.length), 'the token is in sessionStorage (and nothing in localStorage)');

    // ---- overview ----
    const hostsCard = await op.locator('.card', { hasText: 'hosts' }).first().locator('.card-value').textContent();
    ok(hostsCard.trim() === String(Object.keys(HOSTS).length), `overview counts ${Object.keys(HOSTS).length} hosts (shows ${hostsCard.trim()})`);
    ok(await op.getByText('hosts exposed to KEV').isVisible(), 'overview calls out KEV exposure');
    const kevHosts = (await op.locator('.card', { hasText: 'hosts exposed to KEV' }).locator('.card-value').textContent()).trim();
    ok(kevHosts === String(Object.keys(HOSTS).length), 'every host is exposed to the KEV finding of hello-fp 1.0 (' + kevHosts + ')');
    await op.waitForSelector('.trend, #ov-trend ~ * .notice, #ov-trend + div .notice');
    ok((await op.locator('.trend .bar').count()) >= 30, 'the overview charts 30 days of compliance history (GET /v1/compliance/history)');
    await op.locator('.card', { hasText: 'pending a reboot' }).locator('.card-value').filter({ hasNotText: '…' }).waitFor();
    await shot(op, 'overview');

    // ---- hosts: filter, sort, open one ----
    await op.getByRole('link', { name: 'Hosts', exact: true }).click();
    await op.waitForSelector('#host-count');
    ok((await rowsOf(op)).length === Object.keys(HOSTS).length, 'the hosts table lists every host');
    await op.getByLabel('Tag (key=value)').fill('ring=canary');
    await op.getByRole('button', { name: 'Apply filters' }).click();
    await op.waitForFunction(() => /of 1$/.test((document.getElementById('host-count') || {}).textContent || ''));
    ok(JSON.stringify(await rowsOf(op)) === JSON.stringify(['c1']), 'tag ring=canary filters to c1 on the server');
    await op.getByRole('button', { name: 'Clear' }).click();
    await op.waitForFunction(() => !location.hash.includes('tag='));
    await op.getByLabel('Host name').fill('p');
    await op.getByRole('button', { name: 'Apply filters' }).click();
    await op.waitForFunction(() => location.hash.includes('q=p') && /of 2$/.test((document.getElementById('host-count') || {}).textContent || ''));
    ok(JSON.stringify(await rowsOf(op)) === JSON.stringify(['p1', 'p2']), 'host name search "p" finds p1 and p2, sorted by name');
    await op.getByRole('button', { name: /^Sort by Host/ }).click();
    await op.waitForFunction(() => location.hash.includes('sort=-hostname') && document.querySelector('#host-count'));
    await op.waitForFunction(() => document.querySelector('#hosts-table tbody th a')?.textContent === 'p2');
    ok(JSON.stringify(await rowsOf(op)) === JSON.stringify(['p2', 'p1']), 'sorting by host name descending (server-side) gives p2, p1');
    ok((await op.locator('th[aria-sort="descending"]').count()) === 1, 'the sorted column says aria-sort=descending');
    await op.getByRole('button', { name: 'Clear' }).click();
    await op.waitForFunction(() => /of 3$/.test((document.getElementById('host-count') || {}).textContent || ''));
    await shot(op, 'hosts');
    await op.getByRole('link', { name: 'c1', exact: true }).click();
    await op.getByRole('heading', { name: 'c1', level: 1 }).waitFor();
    await op.locator('#h-upd').locator('xpath=..').locator('table').waitFor();
    const upd = await op.locator('#h-upd').locator('xpath=..').textContent();
    ok(/hello-fp/.test(upd) && /2\.0/.test(upd), 'the host page lists the pending update hello-fp 2.0');
    await op.locator('#h-vul').locator('xpath=..').locator('table').waitFor();
    const vul = await op.locator('#h-vul').locator('xpath=..').textContent();
    ok(/CVE-2014-0160/.test(vul) && /KEV/.test(vul), 'the host page shows the KEV finding with its reasons');
    await op.locator('#h-pkg').locator('xpath=..').locator('table').waitFor();
    ok(/hello-fp-conf/.test(await op.locator('#h-pkg').locator('xpath=..').textContent()), 'the host page lists installed packages');
    ok(/Job history/.test(await op.textContent('main')), 'the host page has a job history');
    await shot(op, 'host');

    // ---- vulnerabilities ----
    await op.getByRole('link', { name: 'Vulnerabilities' }).click();
    await op.waitForSelector('main table');
    const vrow = op.locator('main table tbody tr', { hasText: 'CVE-2014-0160' });
    ok((await vrow.count()) === 1, 'the fleet-wide list has CVE-2014-0160');
    const cells = await vrow.locator('td').allTextContents();
    ok(cells.includes(String(Object.keys(HOSTS).length)) && cells.some((c) => /hello-fp 2\.0/.test(c)), 'with every host affected and the fixed version: ' + cells.join(' | '));
    await shot(op, 'vulns');

    // ---- windows in local and UTC time ----
    await op.getByRole('link', { name: 'Windows' }).click();
    await op.getByRole('button', { name: 'Show next openings' }).first().click();
    await op.waitForSelector('main table');
    const wt = await op.textContent('main table');
    ok(/UTC/.test(wt) && /Opens \(host local\)/.test(wt), 'window openings per host in local time and UTC');
    ok(/\+05:45/.test(wt) && /America\/New_York/.test(wt), "p2's openings in Kathmandu time (+05:45), p1's in New York's");
    await shot(op, 'windows');

    // ---- a change request by the author ----
    await op.getByRole('link', { name: 'Change requests' }).click();
    await op.getByRole('link', { name: 'New change request' }).click();
    await op.getByLabel('Title').fill('hello 2.0 from the dashboard');
    await op.waitForFunction(() => [...document.querySelectorAll('select[name=baseline] option')].some((o) => o.value === 'deb-all'));
    await op.getByLabel('Baseline').selectOption('deb-all');
    await op.getByLabel('Maintenance window').selectOption('all-day');
    await op.getByLabel('Rollout (JSON)').fill(JSON.stringify({ rings: [{ name: 'canary', tags: { ring: 'canary' } }, { name: 'production', tags: {} }], waves: ['1'], error_budget: '0', on_failure: 'rollback-host', host_time: 600 }));
    await op.getByRole('button', { name: 'Create draft' }).click();
    await op.waitForFunction(() => document.body.dataset.crState === 'draft');
    const crId = (await op.evaluate(() => location.hash)).replace('#/changes/', '');
    ok(/^[0-9a-zA-Z_-]+$/.test(crId), 'created change request ' + crId);
    await op.locator('#cr-plan').locator('xpath=..').locator('table').first().waitFor();
    const planText = await op.locator('#cr-plan').locator('xpath=..').textContent();
    ok(/3 hosts in \d+ waves/.test(planText) && /c1|canary/.test(planText), 'the plan before approval: ' + planText.slice(4, 60));
    await op.getByRole('button', { name: 'Submit for approval' }).click();
    await op.waitForFunction(() => document.body.dataset.crState === 'submitted');
    ok((await op.getByRole('button', { name: 'Approve' }).count()) === 0, 'the author (an approver) sees no Approve button on their own request');
    const [selfSt, selfCode] = await apiStatus(op, 'POST', `/v1/change-requests/${crId}/approve`);
    ok(selfSt === 403 && selfCode === 'self_approval', `the API refuses the author's approval (${selfSt} ${selfCode})`);
    await shot(op, 'change-request');

    // ---- a viewer: no buttons, and the API refuses ----
    const { page: vp } = await session(browser, 'viewer');
    await vp.goto(URL + '/#/changes/' + crId);
    await vp.waitForFunction(() => document.body.dataset.crState === 'submitted');
    ok((await vp.locator('#cr-actions button').count()) === 0, 'the viewer sees no approve, reject or rollout buttons');
    const [vSt, vCode] = await apiStatus(vp, 'POST', `/v1/change-requests/${crId}/approve`);
    ok(vSt === 403 && vCode === 'forbidden', `the API refuses the viewer's approval (${vSt} ${vCode})`);
    await vp.goto(URL + '/#/changes');
    await vp.waitForSelector('main table');
    ok((await vp.getByRole('link', { name: 'New change request' }).count()) === 0, 'the viewer is offered no "New change request"');

    // ---- another user approves; the rollout runs to the end ----
    await vp.goto(URL + '/#/tracking');
    await vp.waitForSelector('main table');
    ok((await vp.getByRole('button', { name: 'Accept risk' }).count()) === 0 && (await vp.getByRole('button', { name: 'Assign' }).count()) === 0,
      'the viewer is offered no assign or accept-risk on tracking records');
    const { page: ap } = await session(browser, 'approver');
    // an exception with owner, reason and expiry: the tracking record's accept-risk
    await ap.goto(URL + '/#/tracking');
    const trow = ap.locator('main table tbody tr', { hasText: 'CVE-2014-0160' });
    await trow.waitFor();
    await trow.getByLabel('Owner (user)').fill('approver');
    await trow.getByRole('button', { name: 'Assign' }).click();
    await ap.getByText('Assigned: done.').waitFor();
    await ap.waitForFunction(() => /\/ approver/.test(document.querySelector('main table tbody tr')?.textContent || ''));
    const until = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
    const trow2 = ap.locator('main table tbody tr', { hasText: 'CVE-2014-0160' });
    await trow2.getByLabel('Reason').fill('patched by the change request of today');
    await trow2.getByLabel('Accepted until').fill(until);
    await trow2.getByRole('button', { name: 'Accept risk' }).click();
    await ap.getByText('Risk accepted: done.').waitFor();
    await ap.waitForFunction(() => /risk_accepted/.test(document.querySelector('main table tbody tr')?.textContent || ''));
    ok(true, 'the approver assigned the KEV record to an owner and accepted its risk until ' + until);
    await shot(ap, 'tracking');
    await ap.goto(URL + '/#/changes/' + crId);
    await ap.getByRole('button', { name: 'Approve' }).click();
    await ap.waitForFunction(() => ['scheduled', 'running'].includes(document.body.dataset.crState) || document.body.dataset.crState === 'done');
    ok(true, 'approved by a different user: ' + await ap.evaluate(() => document.body.dataset.crState));
    await ap.waitForFunction(() => document.body.dataset.crState === 'running').catch(() => {});
    await ap.waitForSelector('#ro-progress');
    await shot(ap, 'rollout-running');
    await ap.waitForFunction(() => ['done', 'failed', 'rolled_back', 'cancelled'].includes(document.body.dataset.crState), null, { timeout: ROLLOUT_GUARD_MS });
    const final = await ap.evaluate(() => document.body.dataset.crState);
    ok(final === 'done', 'the rollout watched live ends done (' + final + ')');
    const status = await ap.textContent('#ro-status');
    ok(/3 of 3 hosts finished/.test(status) && /0 failed/.test(status), 'progress: ' + status);
    await shot(ap, 'rollout-done');
    ok((await ap.locator('#cr-actions button').count()) === 0, 'a finished request offers no actions');

    // ---- audit log, reports, tracking (issue 8's APIs) ----
    await ap.getByRole('link', { name: 'Audit log' }).click();
    await ap.waitForSelector('main table, main .empty');
    const audited = await ap.locator('main table tbody tr').count();
    ok(audited > 0 && /approver/.test(await ap.textContent('main table')), `the audit log lists the approval among ${audited} entries`);
    await shot(ap, 'audit');
    await ap.getByRole('link', { name: 'Reports' }).click();
    await ap.waitForSelector('#rep-c, main .error, main .empty');
    ok(await ap.getByRole('button', { name: 'Download HTML' }).isVisible(), 'the reports page offers the compliance report: ' + (await ap.textContent('main')).slice(0, 100));
    await ap.getByRole('link', { name: 'Tracking' }).click();
    await ap.waitForSelector('main table');
    ok(/closed/.test(await ap.textContent('main table tbody tr')), 'the fixed everywhere record closed after the rollout: ' + (await ap.textContent('main table tbody tr')).slice(0, 80));

    // ---- accessibility basics ----
    await op.goto(URL + '/#/hosts');
    await op.waitForSelector('#host-count');
    const unlabeled = await op.$$eval('input, select, textarea, button', (els) => els.filter((e) => {
      if (e.type === 'hidden') return false;
      if (e.tagName === 'BUTTON') return !(e.textContent.trim() || e.getAttribute('aria-label'));
      return !(e.labels && e.labels.length) && !e.getAttribute('aria-label');
    }).map((e) => e.outerHTML.slice(0, 80)));
    ok(unlabeled.length === 0, 'every control on the hosts page has a label ' + JSON.stringify(unlabeled));
    ok((await op.$$eval('header, nav, main', (e) => e.length)) >= 3, 'banner, navigation and main landmarks');
    await op.reload(); // a fresh load: a hash change moves the focus to main on purpose
    await op.waitForSelector('#host-count');
    await op.keyboard.press('Tab');
    ok(await op.evaluate(() => document.activeElement && document.activeElement.classList.contains('skip')), 'the first Tab reaches "Skip to content"');
    // signing out revokes the token on the server
    const old = await op.evaluate(() => sessionStorage.getItem('fleetpatch.token'));
    await op.getByRole('button', { name: 'Sign out' }).click();
    await op.getByText('Signed out.').waitFor();
    const after = await op.evaluate(async (t) => (await fetch('/v1/whoami', { headers: { Authorization: 'Bearer ' + t } })).status, old);
    ok(after === 401 && await op.evaluate(() => !sessionStorage.getItem('fleetpatch.token')), `after signing out the old token is refused (${after}) and gone from the tab`);
    for (const p of [op, vp, ap]) ok(!p.cspErrors.some((e) => /Content Security Policy|pageerror/.test(e)), 'no CSP violation or script error: ' + JSON.stringify(p.cspErrors.filter((e) => /Content Security Policy|pageerror/.test(e))));
  } finally {
    await browser.close();
    fs.rmSync(udd, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.log('FAIL: ' + (e && e.stack || e)); process.exit(1); });

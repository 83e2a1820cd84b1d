// The compliance report's HTML in Debian's headless Chromium (driven by tests/browser/report.sh,
// which makes the fleet and fetches the report as JSON and HTML from a real fleetpatchd).
// Usage: node report_test.js REPORT.html REPORT.json SCREENSHOT.png. Reads the numbers the
// rendered page shows (ids and data- attributes of src/server/report_render.c) and compares them
// with the API's JSON; the page may load nothing (every request is counted). Exit 0 = passed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [htmlPath, jsonPath, shot] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
let passed = 0;
const failures = [];
function ok(cond, what) {
  if (cond) { passed++; console.log('ok ' + passed + ': ' + what); } else { failures.push(what); console.log('FAIL: ' + what); }
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-report-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    const requests = [];
    const errors = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const url = 'file://' + path.resolve(htmlPath);
    await page.goto(url);
    await page.setViewportSize({ width: 1100, height: 900 });
    ok(requests.length === 1 && requests[0] === url, 'the report loads nothing but itself: ' + JSON.stringify(requests));
    ok(errors.length === 0, 'no errors in the page: ' + JSON.stringify(errors));
    ok(await page.locator('script').count() === 0, 'no script in the report');
    const val = async (id) => page.locator('#' + id).getAttribute('data-value');
    const text = async (id) => (await page.locator('#' + id).textContent()).trim();
    const s = report.summary;
    ok(await val('compliance-rate') === s.compliance_rate.toFixed(1) && await text('compliance-rate') === s.compliance_rate.toFixed(1),
      'compliance rate shown ' + await text('compliance-rate') + ' = API ' + s.compliance_rate);
    ok(Number(await text('hosts')) === s.hosts, 'hosts shown ' + await text('hosts') + ' = API ' + s.hosts);
    ok(Number(await text('compliant-hosts')) === s.compliant_hosts, 'compliant hosts = API ' + s.compliant_hosts);
    for (const [state, n] of Object.entries(s.states)) {
      ok(Number(await text('state-' + state)) === n, 'state ' + state + ' shown ' + await text('state-' + state) + ' = API ' + n);
    }
    ok(Number(await text('gaps')) === s.gaps, 'gaps = API ' + s.gaps);
    for (const [sev, n] of Object.entries(report.exposure)) {
      ok(Number(await text('exposure-' + sev)) === n, 'exposure ' + sev + ' bar label ' + await text('exposure-' + sev) + ' = API ' + n);
    }
    ok(Number(await text('kev-findings')) === report.kev.findings, 'KEV findings = API ' + report.kev.findings);
    ok(Number(await text('kev-hosts')) === report.kev.hosts, 'KEV hosts = API ' + report.kev.hosts);
    ok(Number(await text('sla-breached')) === report.sla.breached_hosts, 'SLA breached hosts = API ' + report.sla.breached_hosts);
    ok(await page.locator('#breaches tr[data-host]').count() === report.sla.breaches.length, 'breach rows = API ' + report.sla.breaches.length);
    ok(Number(await text('mttr-remediated')) === report.mttr.remediated, 'remediated = API ' + report.mttr.remediated);
    ok(Number(await val('mttr-mean-seconds')) === report.mttr.mean_seconds, 'MTTR seconds = API ' + report.mttr.mean_seconds);
    for (const a of report.by_account) {
      const row = page.locator('#accounts tr[data-account="' + a.key + '"]');
      ok(Number(await row.locator('[data-k="hosts"]').innerText()) === a.hosts &&
         Number(await row.locator('[data-k="noncompliant"]').innerText()) === a.states.noncompliant &&
         (await row.locator('[data-k="compliance_rate"]').innerText()) === a.compliance_rate.toFixed(1),
      'account ' + a.key + ': hosts, non-compliant and rate = API');
    }
    const rows = page.locator('#hosts-table tr[data-host]');
    ok(await rows.count() === report.hosts.length, 'host rows ' + await rows.count() + ' = API ' + report.hosts.length);
    for (const h of report.hosts) {
      const r = page.locator('#hosts-table tr[data-host="' + h.host + '"]');
      ok(await r.getAttribute('data-state') === h.state && Number(await r.locator('[data-k="gaps"]').innerText()) === h.gaps,
        'host ' + h.hostname + ': state ' + h.state + ', gaps ' + h.gaps);
    }
    const pts = page.locator('#chart-compliance circle.pt');
    ok(await pts.count() === report.series.length, 'chart points ' + await pts.count() + ' = API series ' + report.series.length);
    const last = report.series[report.series.length - 1];
    const lp = pts.nth(report.series.length - 1);
    ok(await lp.getAttribute('data-date') === last.date && Number(await lp.getAttribute('data-hosts')) === last.hosts &&
       await lp.getAttribute('data-rate') === last.compliance_rate.toFixed(1),
    'the last chart point: ' + last.date + ', ' + last.hosts + ' hosts, rate ' + last.compliance_rate);
    const empty = report.series.filter((x) => x.hosts === 0).length;
    const hidden = page.locator('#chart-compliance circle.pt[data-hosts="0"]');
    let shown = 0;
    for (let i = 0; i < await hidden.count(); i++) shown += (await hidden.nth(i).isVisible()) ? 1 : 0;
    ok(await hidden.count() === empty && shown === 0,
      'days without hosts (' + empty + ') have no visible point (' + shown + ' shown)');
    const box = await page.locator('#chart-compliance').boundingBox();
    ok(box && box.width > 300 && box.height > 100, 'the chart is drawn (' + JSON.stringify(box) + ')');
    await page.screenshot({ path: shot, fullPage: true });
    ok(fs.statSync(shot).size > 10000, 'screenshot ' + shot);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(passed + ' passed, ' + failures.length + ' failed');
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.log('FAIL: ' + e.stack); process.exit(1); });

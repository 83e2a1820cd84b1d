// Time to interactive of the dashboard's overview (bench/dashboard_tti.sh): sign in once, then
// FP_RUNS fresh loads of /#/overview; each is timed from navigation start to the overview's
// performance mark (set after every number of GET /v1/summary is on screen). Prints the
// median and the range; never fails on a number. FP_SHOTS: a directory for two screenshots.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

(async () => {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-chromium-'));
  const browser = await chromium.launchPersistentContext(udd, { executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'], ignoreHTTPSErrors: true, viewport: { width: 1366, height: 768 } });
  const page = await browser.newPage();
  await page.goto(process.env.FP_URL + '/');
  await page.getByLabel('User').fill('boss');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body[data-ready="overview"]', { timeout: 0 });
  const hosts = await page.locator('.card-value').first().textContent();
  const times = [];
  for (let i = 0; i < Number(process.env.FP_RUNS || 7); i++) {
    await page.goto(process.env.FP_URL + '/?run=' + i + '#/overview');
    await page.waitForSelector('body[data-ready="overview"]', { timeout: 0 });
    times.push(await page.evaluate(() => performance.getEntriesByName('fp-overview-interactive')[0].startTime));
  }
  if (process.env.FP_SHOTS) await page.screenshot({ path: path.join(process.env.FP_SHOTS, 'overview-100k.png') });
  const hs = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(process.env.FP_URL + '/?h=' + i + '#/hosts?sort=-last_seen');
    await page.waitForSelector('#host-count', { timeout: 0 });
    hs.push(await page.evaluate(() => performance.now()));
  }
  if (process.env.FP_SHOTS) await page.screenshot({ path: path.join(process.env.FP_SHOTS, 'hosts-100k.png') });
  times.sort((a, b) => a - b);
  hs.sort((a, b) => a - b);
  console.log(`browser overview with ${hosts.trim()} hosts: time to interactive median ${times[times.length >> 1].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}, ${times.length} loads)`);
  console.log(`browser hosts table (50 rows of ${hosts.trim()}, sorted by last seen): rendered after median ${hs[1].toFixed(0)} ms`);
  await browser.close();
  fs.rmSync(udd, { recursive: true, force: true });
})().catch((e) => { console.error(e); process.exit(1); });

// node tests/e2e/shot.js CHROMIUM URL OUT.png CONDITION PROFILE_DIR
// A screenshot of a live page (one whose EventSource stays open, so Chromium's virtual time
// never runs out): headless Chromium driven over --remote-debugging-pipe (DevTools protocol,
// NUL-separated JSON on fds 3 and 4; no WebSocket module needed). Loads URL at 1920x1080,
// polls until the JavaScript CONDITION is true (at most 60 s), lets the charts' animations
// end, and writes the PNG. Exit 0, or 1 with the reason on stderr.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const [chromium, url, out, cond, profile] = process.argv.slice(2);
const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--no-first-run', '--hide-scrollbars', '--remote-debugging-pipe', '--user-data-dir=' + profile,
  '--window-size=1920,1080', 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];
const waiting = new Map();
let lastId = 0;
let buf = Buffer.alloc(0);
fromBrowser.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  let end;
  while ((end = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, end).toString());
    buf = buf.subarray(end + 1);
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  }
});
function send(method, params, sessionId) {
  return new Promise((resolve, reject) => {
    const msg = { id: ++lastId, method, params: params || {} };
    if (sessionId) msg.sessionId = sessionId;
    waiting.set(msg.id, (r) => (r.error ? reject(new Error(method + ': ' + r.error.message)) : resolve(r.result)));
    toBrowser.write(JSON.stringify(msg) + '\0');
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (m, p) => send(m, p, sessionId);
  await page('Emulation.setDeviceMetricsOverride', { width: 1920, height: 1080, deviceScaleFactor: 1, mobile: false });
  await page('Page.enable');
  await page('Page.navigate', { url });
  const deadline = Date.now() + 60000;
  for (;;) {
    const r = await page('Runtime.evaluate', { expression: '!!(' + cond + ')', returnByValue: true });
    if (r.result && r.result.value === true) break;
    if (Date.now() > deadline) throw new Error('the page never met: ' + cond);
    await sleep(250);
  }
  await sleep(2000); // the charts' entry animations (a picture, not a check)
  const { data } = await page('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(out, Buffer.from(data, 'base64'));
})().then(() => 0, (e) => { console.error('shot: ' + e.message); return 1; }).then((rc) => {
  browser.kill('SIGKILL');
  process.exit(rc);
});

// chromium.mjs - the one way the browser and consistency tiers start Chromium: headless Debian
// chromium through the caller's playwright-core (each tier installs its own; no browser download),
// ja-JP, Asia/Tokyo, 1280x900, every wait bounded by `timeout` ms. The profile folder
// (/tmp/PREFIX*) is removed when the context is closed, and at the latest when the process exits
// (a failed test that never reaches close).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function launchChromium(chromium, { prefix, timeout }) {
  const profile = mkdtempSync(join(tmpdir(), prefix));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  process.once('exit', removeProfile);
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      locale: 'ja-JP',
      timezoneId: 'Asia/Tokyo',
    });
  } catch (e) {
    removeProfile();
    throw e;
  }
  const close = context.close.bind(context);
  context.close = async (...args) => {
    try {
      return await close(...args);
    } finally {
      removeProfile();
    }
  };
  context.setDefaultTimeout(timeout);
  return context;
}

// Signs in to the fixture portal with a password and a TOTP code, finds an order, downloads its
// invoice, and prints where the trace, screenshots, video and download are on disk.
//
//   npm run setup                                   # once: finds or installs Chromium (and ffmpeg for video)
//   node examples/browser/login-and-download.ts     # files go to .petrel/examples/<run id>/
//
// Everything runs offline: the portal is served on 127.0.0.1 by this script. PETREL_CHROMIUM_PATH
// picks a Chromium other than the one `npm run setup` finds.
import { join, relative } from 'node:path';
import { startPortal } from '@petrel/fixture-portal';
import { createBrowserPool, createDiskBlobStore, type Observation } from '@petrel/browser';

const out = join(process.cwd(), '.petrel', 'examples');
const blobs = createDiskBlobStore({ root: join(out, 'blobs') });
const chromiumPath = process.env['PETREL_CHROMIUM_PATH'];

await using portal = await startPortal();
await using pool = createBrowserPool({
  blobStore: blobs,
  downloadsRoot: join(out, 'downloads'),
  ...(chromiumPath ? { executablePath: chromiumPath } : {}),
});
const run = await pool.newContext(); // trace, video (when ffmpeg is there) and a screenshot after every action

/** The id of the first element with this role whose accessible name contains `name`. */
function find(page: Observation, role: string, name: string | RegExp): string {
  const match = page.elements.find((e) => e.role === role && (typeof name === 'string' ? e.name.includes(name) : name.test(e.name)));
  if (!match) throw new Error(`no ${role} "${String(name)}" on ${page.url}`);
  return match.id;
}

async function act(action: Parameters<typeof run.act>[0]) {
  const result = await run.act(action);
  if (!result.ok) throw new Error(`${action.type} failed: ${result.error?.code} ${result.error?.message}`);
  console.log(`  ${action.type.padEnd(13)} ${String(result.durationMs).padStart(4)} ms${result.changed.url ? `  → ${result.changed.url}` : ''}`);
  return result;
}

console.log(`portal at ${portal.url}; run ${run.runId}`);
await act({ type: 'goto_url', url: `${portal.url}/login` });
let page = await run.observe({ countTokens: true });
console.log(`\nWhat a model would see (${page.tokens} tokens):\n${page.text}\n`);

await act({ type: 'click', elementId: find(page, 'button', 'Accept all cookies') });
await act({ type: 'input_text', elementId: find(page, 'textbox', 'Email'), text: 'demo@petrel.test' });
await act({ type: 'input_text', elementId: find(page, 'textbox', 'Password'), text: 'petrel-demo-2026', sensitive: true });
await act({ type: 'click', elementId: find(page, 'button', 'Sign in') });

page = await run.observe();
await act({ type: 'input_text', elementId: find(page, 'textbox', 'Verification code'), text: portal.totp(), pressEnter: true });

page = await run.observe();
await act({ type: 'click', elementId: find(page, 'link', /^Orders$/) });
page = await run.observe();
await act({ type: 'select_option', elementId: find(page, 'combobox', 'Status'), option: 'Delivered' });
await act({ type: 'click', elementId: find(page, 'button', 'Filter') });
page = await run.observe();
await act({ type: 'click', elementId: find(page, 'link', /^ORD-/) });
page = await run.observe();
const { changed, replay } = await act({ type: 'download', elementId: find(page, 'link', 'Download invoice') });

console.log('\nThe download step as Playwright would find it again (best selectors first):');
for (const selector of replay.target?.selectors.slice(0, 3) ?? []) console.log(`  ${JSON.stringify(selector)}`);

const summary = await run.close();
const where = (path: string) => relative(process.cwd(), path);
console.log(`\nDownloaded ${changed.download?.fileName} (${changed.download?.size} bytes, sha256 ${changed.download?.sha256.slice(0, 16)}…)`);
console.log(`  ${where(changed.download?.path ?? '')}`);
console.log('\nArtifacts:');
for (const artifact of summary.artifacts) {
  console.log(`  ${artifact.type.padEnd(18)} ${String(artifact.size).padStart(8)} B  ${where(blobs.pathOf(artifact.key))}`);
}
const trace = summary.artifacts.find((a) => a.type === 'trace');
if (trace) console.log(`\nOpen the trace with: npx playwright-core show-trace ${where(blobs.pathOf(trace.key))}`);

// Run in a separate process by the checkpoint test: restores a checkpoint from a JSON file into a
// fresh context and prints what the restored tabs show, as one JSON line.
import { readFile } from 'node:fs/promises';
import { createBrowserPool, restore, type BrowserCheckpoint } from '@petrel/browser';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: child-restore.ts <checkpoint.json>');
const saved = JSON.parse(await readFile(file, 'utf8')) as BrowserCheckpoint;
await using pool = createBrowserPool({ contextDefaults: { trace: false, video: 'off', screenshots: 'off', html: false } });
await using ctx = await restore(pool, saved);
const observation = await ctx.observe();
const session = await ctx.page.evaluate(() => sessionStorage.getItem('petrel-test'));
console.log(JSON.stringify({ pid: process.pid, url: observation.url, tabs: observation.tabs.map((t) => t.url), text: observation.text, session }));

// Run in a separate process by the session test: attaches to a session over CDP with the pool's
// `attach`, reads the page and cookies, navigates, and prints one JSON line.
import { createBrowserPool } from '@petrel/browser';

const [browserAddress, nextUrl] = process.argv.slice(2);
if (!browserAddress) throw new Error('usage: child-attach.ts <browserAddress> [url]');
await using pool = createBrowserPool();
const ctx = await pool.attach(browserAddress, { trace: false, screenshots: 'off', html: false });
const before = { url: ctx.page.url(), cookies: (await ctx.context.cookies()).map((c) => c.name) };
let text = '';
if (nextUrl) {
  await ctx.act({ type: 'goto_url', url: nextUrl });
  text = (await ctx.observe()).text;
}
const after = ctx.page.url();
await ctx.close();
console.log(JSON.stringify({ pid: process.pid, before, after, text }));

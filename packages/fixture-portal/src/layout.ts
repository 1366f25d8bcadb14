// The shared page layout: header with navigation, cookie banner, main content and footer, with one
// small inline stylesheet (no external assets, so pages render the same offline).
import type { PortalUser } from './portal-data.ts';
import type { SafeHtml } from './html.ts';
import { html, raw } from './html.ts';

const CSS = `
:root{--ink:#1f2433;--muted:#687085;--line:#e3e0da;--bg:#f7f5f2;--card:#fff;--brand:#c2541f;--brand-dark:#9c3f13;--ok:#1d7a4c;--warn:#a86a00;--bad:#b42318;--info:#2456a6}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--info)}
header.site{background:var(--ink);color:#fff}
header.site .bar{max-width:1120px;margin:0 auto;display:flex;align-items:center;gap:24px;padding:12px 20px}
.brand{display:flex;align-items:center;gap:8px;color:#fff;text-decoration:none;font-weight:700;font-size:17px}
nav.main{display:flex;gap:4px;flex-wrap:wrap;flex:1}
nav.main a{color:#d9dce6;text-decoration:none;padding:6px 10px;border-radius:6px}
nav.main a:hover,nav.main a[aria-current=page]{background:#343b52;color:#fff}
.who{display:flex;align-items:center;gap:10px;color:#d9dce6;font-size:14px}
.who form{margin:0}
main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 16px}
h2{font-size:19px;margin:24px 0 12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px;margin-bottom:16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:16px}
.stat .value{font-size:26px;font-weight:700}
.stat .label{color:var(--muted);font-size:13px}
table{width:100%;border-collapse:collapse;background:var(--card)}
th,td{text-align:left;padding:9px 12px;border-bottom:1px solid var(--line)}
th{font-size:13px;color:var(--muted);font-weight:600;background:#faf9f7}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.btn,button{display:inline-block;font:inherit;border:1px solid var(--brand);background:var(--brand);color:#fff;padding:8px 16px;border-radius:7px;cursor:pointer;text-decoration:none;line-height:1.4}
.btn:hover,button:hover{background:var(--brand-dark)}
.btn.secondary,button.secondary{background:#fff;color:var(--ink);border-color:#c9c5bd}
.btn.link,button.link{background:none;border:none;color:#d9dce6;padding:0;text-decoration:underline}
label{display:block;font-weight:600;font-size:14px;margin:0 0 4px}
input,select,textarea{font:inherit;padding:8px 10px;border:1px solid #c9c5bd;border-radius:7px;background:#fff;width:100%;max-width:420px}
input[type=checkbox],input[type=radio]{width:auto;min-height:0}
input,select{min-height:40px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
textarea{min-height:90px}
.field{margin-bottom:14px}
.inline{display:flex;gap:12px;align-items:flex-end;flex-wrap:wrap}
.inline .field{margin:0}
.choice{display:flex;gap:16px}
.choice label{font-weight:400;display:flex;gap:6px;align-items:center}
.hint{color:var(--muted);font-size:13px}
.alert{padding:10px 14px;border-radius:8px;margin-bottom:16px;border:1px solid}
.alert.error{background:#fdecea;border-color:#f3b8b2;color:var(--bad)}
.alert.success{background:#e8f5ee;border-color:#a9d9bf;color:var(--ok)}
.alert.info{background:#eaf0fb;border-color:#b6c9ee;color:var(--info)}
.badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;font-weight:600;text-transform:capitalize}
.badge.pending{background:#fff4d6;color:var(--warn)}.badge.shipped{background:#e5eefc;color:var(--info)}
.badge.delivered{background:#e3f4ea;color:var(--ok)}.badge.cancelled{background:#eeeef0;color:#555}
.badge.refunded{background:#fde8e6;color:var(--bad)}.badge.ready{background:#e3f4ea;color:var(--ok)}.badge.processing{background:#fff4d6;color:var(--warn)}
.pager{display:flex;gap:12px;align-items:center;margin-top:14px}
.pager .disabled{color:var(--muted);pointer-events:none;opacity:.6}
.auth{max-width:420px;margin:40px auto}
.muted{color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.cookie-banner{position:fixed;left:0;right:0;bottom:0;background:#fff;border-top:3px solid var(--brand);box-shadow:0 -6px 24px rgba(0,0,0,.12);padding:16px 20px;z-index:50}
.cookie-banner .inner{max-width:1120px;margin:0 auto;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
.cookie-banner p{margin:0;flex:1;min-width:260px}
.dropdown{position:relative;max-width:420px}
.dropdown [role=combobox]{display:flex;justify-content:space-between;align-items:center;width:100%;background:#fff;color:var(--ink);border:1px solid #c9c5bd;text-align:left}
.dropdown [role=listbox]{position:absolute;left:0;right:0;top:calc(100% + 4px);background:#fff;border:1px solid #c9c5bd;border-radius:7px;margin:0;padding:4px;list-style:none;z-index:10;box-shadow:0 8px 20px rgba(0,0,0,.1)}
.dropdown [role=option]{padding:7px 10px;border-radius:5px;cursor:pointer}
.dropdown [role=option]:hover,.dropdown [role=option].active,.dropdown [role=option][aria-selected=true]{background:#f3ede7}
.editor{min-height:90px;max-width:420px;border:1px solid #c9c5bd;border-radius:7px;padding:8px 10px;background:#fff}
.jobs{display:grid;gap:12px}.jobs .card{margin:0}
.job-card h3{margin:0 0 4px;font-size:17px}
.files{list-style:none;margin:0;padding:0;display:flex;gap:8px;flex-wrap:wrap}
.hover-menu{position:relative;display:inline-block}
.hover-menu [role=menu]{display:none;position:absolute;left:0;top:100%;min-width:220px;margin:0;padding:4px;list-style:none;background:#fff;border:1px solid #c9c5bd;border-radius:7px;box-shadow:0 8px 20px rgba(0,0,0,.1);z-index:10}
.hover-menu:hover [role=menu],.hover-menu:focus-within [role=menu]{display:block}
.hover-menu [role=menuitem]{display:block;width:100%;text-align:left;background:#fff;color:var(--ink);border:0;border-radius:5px}
.hover-menu [role=menuitem]:hover{background:#f3ede7}
.scroll-box{height:100px;overflow:auto;border:1px solid var(--line);border-radius:8px;max-width:520px;box-sizing:content-box}
.scroll-box .clause{height:100px;margin:0;padding:8px 12px;overflow:hidden;font-size:13px}
iframe{border:1px solid var(--line);border-radius:8px;background:#fff;width:100%;max-width:520px;height:300px}
footer.site{border-top:1px solid var(--line);color:var(--muted);font-size:13px}
footer.site .bar{max-width:1120px;margin:0 auto;padding:16px 20px 90px;display:flex;gap:16px;flex-wrap:wrap}
`;

const BANNER_SCRIPT = `
document.querySelectorAll('[data-consent]').forEach(function (button) {
  button.addEventListener('click', function (event) {
    event.preventDefault();
    document.cookie = 'ember_cookie_consent=' + button.getAttribute('data-consent') + '; path=/; max-age=31536000; samesite=lax';
    var banner = document.getElementById('cookie-banner');
    if (banner) banner.remove();
  });
});
`;

const LOGO = raw(
  '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true"><path fill="#f08a4b" d="M12 2c1 4-3 5-3 9a3 3 0 0 0 6 0c0-1.5-.6-2.6-1.2-3.6C16.5 9 19 11.6 19 15a7 7 0 0 1-14 0c0-5 5-7 7-13z"/></svg>',
);

const NAV: readonly (readonly [string, string, boolean])[] = [
  ['/dashboard', 'Dashboard', true],
  ['/orders', 'Orders', true],
  ['/reports', 'Reports', false],
  ['/jobs', 'Careers', false],
  ['/account', 'Account', true],
  ['/playground', 'Playground', false],
];

/** What a page puts into the layout. */
export type PageInput = {
  title: string;
  /** Path prefix of the active navigation entry. */
  active?: string;
  user: PortalUser | undefined;
  /** Whether to show the cookie banner (the visitor has not answered it yet). */
  cookieBanner: boolean;
  /** The path the banner's no-JavaScript form returns to. */
  path: string;
  body: SafeHtml;
  /** Extra markup at the end of the body (scripts). */
  tail?: SafeHtml;
};

/** A complete HTML document in the portal's layout. */
export function page(input: PageInput): string {
  const nav = NAV.filter(([, , needsUser]) => !needsUser || input.user !== undefined).map(
    ([href, label]) => html`<a href="${href}"${input.active === href ? raw(' aria-current="page"') : ''}>${label}</a>`,
  );
  const who = input.user
    ? html`<div class="who"><span data-testid="signed-in-user">${input.user.name}</span>
        <form method="post" action="/logout"><button type="submit" class="link">Sign out</button></form></div>`
    : html`<div class="who"><a class="btn" href="/login">Sign in</a></div>`;
  const banner = input.cookieBanner
    ? html`<div class="cookie-banner" id="cookie-banner" role="dialog" aria-label="Cookie consent" aria-live="polite">
        <form class="inner" method="post" action="/cookie-consent">
          <input type="hidden" name="returnTo" value="${input.path}">
          <p><strong>We use cookies.</strong> Ember Supply uses cookies to keep you signed in and to understand how the portal is used.
            See our <a href="/privacy">privacy notice</a>.</p>
          <button type="submit" name="consent" value="rejected" class="secondary" data-consent="rejected">Reject non-essential</button>
          <button type="submit" name="consent" value="accepted" data-consent="accepted" data-testid="cookie-accept">Accept all cookies</button>
        </form>
      </div><script>${raw(BANNER_SCRIPT)}</script>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} - Ember Supply</title><style>${raw(CSS)}</style></head>
<body>
<header class="site"><div class="bar"><a class="brand" href="/">${LOGO}<span>Ember Supply</span></a>
<nav class="main" aria-label="Main">${nav}</nav>${who}</div></header>
<main id="content">${input.body}</main>
<footer class="site"><div class="bar"><span>&copy; 2026 Ember Supply Co.</span><a href="/privacy">Privacy</a><a href="/help">Help center</a><a href="/playground">Test pages</a></div></footer>
${banner}${input.tail ?? ''}
</body></html>`.value;
}

/** A bare document for iframe content (no navigation, no banner). */
export function framePage(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${raw(CSS)}body{background:#fff;padding:14px}</style></head>
<body>${body}</body></html>`.value;
}

// Reports (cookbook c): the latest report shows "Processing" until it has been loaded enough times
// or enough time has passed since its first load; a processing page polls and swaps in the ready
// report by itself, so a browser that only waits also sees it change.
import type { Context, Hono } from 'hono';
import type { Report } from '../portal-data.ts';
import type { PortalState } from '../portal-state.ts';
import { isReportReady } from '../portal-state.ts';
import type { SafeHtml } from '../html.ts';
import { html, raw } from '../html.ts';
import { formatMoney } from '../invoice-pdf.ts';
import { notFoundPage, renderPage } from './route-helpers.ts';

const POLL_MS = 1000;

function readyReport(report: Report): SafeHtml {
  const rows = report.rows.map(
    (r) => html`<tr><td>${r.region}</td><td>${r.product}</td><td class="num">${r.units}</td><td class="num">${formatMoney(r.revenue)}</td></tr>`,
  );
  return html`<p>Report status: <span class="badge ready" data-testid="report-status">Ready</span></p>
<dl class="facts">
  <dt>Report ID</dt><dd data-testid="report-id">${report.id}</dd>
  <dt>Generated at</dt><dd data-testid="report-generated-at"><time datetime="${report.generatedAt}">${report.generatedAt}</time></dd>
  <dt>Row count</dt><dd data-testid="report-row-count">${report.rowCount}</dd>
</dl>
<p><a class="btn" href="/reports/${report.id}/download" download="${report.id}.csv" data-testid="report-download">Download CSV</a></p>
<table data-testid="report-table"><thead><tr><th scope="col">Region</th><th scope="col">Product</th><th scope="col" class="num">Units</th><th scope="col" class="num">Revenue</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function processingReport(report: Report): SafeHtml {
  return html`<p>Report status: <span class="badge processing" data-testid="report-status">Processing</span></p>
<dl class="facts"><dt>Report ID</dt><dd data-testid="report-id">${report.id}</dd></dl>
<div class="alert info" role="status">This report is still being generated. This page updates by itself; you can also refresh it.</div>`;
}

function pollScript(report: Report): SafeHtml {
  return html`<script>(function () {
  var timer = setInterval(function () {
    fetch('/reports/${raw(report.id)}/status').then(function (r) { return r.json(); }).then(function (s) {
      if (!s.ready) return;
      clearInterval(timer);
      return fetch('/reports/${raw(report.id)}/fragment').then(function (r) { return r.text(); }).then(function (markup) {
        document.getElementById('report').innerHTML = markup;
      });
    }).catch(function () {});
  }, ${POLL_MS});
})();</script>`;
}

function csv(report: Report): string {
  const lines = ['region,product,units,revenue', ...report.rows.map((r) => `${r.region},"${r.product}",${r.units},${r.revenue.toFixed(2)}`)];
  return `${lines.join('\n')}\n`;
}

/** Adds `/reports`, `/reports/latest`, `/reports/:id` and its status, fragment and CSV download. */
export function registerReportRoutes(app: Hono, state: PortalState): void {
  const { reports } = state.data;
  const latest = reports[0];
  const ready = (report: Report) => report !== latest || isReportReady(state);
  const find = (c: Context) => reports.find((r) => r.id === c.req.param('id'));

  app.get('/reports', (c) => {
    const rows = reports.map((r) => {
      const isReady = ready(r);
      return html`<tr data-testid="report-row"><td><a href="/reports/${r.id}">${r.id}</a></td><td>${r.title}</td>
        <td>${isReady ? html`<time datetime="${r.generatedAt}">${r.generatedAt}</time>` : html`<span class="muted">-</span>`}</td>
        <td><span class="badge ${isReady ? 'ready' : 'processing'}">${isReady ? 'Ready' : 'Processing'}</span></td></tr>`;
    });
    const body = html`<h1>Reports</h1>
<p><a class="btn" href="/reports/latest">Open the latest report</a></p>
<table><thead><tr><th scope="col">Report</th><th scope="col">Title</th><th scope="col">Generated at</th><th scope="col">Status</th></tr></thead><tbody>${rows}</tbody></table>`;
    return renderPage(c, state, { title: 'Reports', active: '/reports', body });
  });

  app.get('/reports/latest', (c) => (latest ? c.redirect(`/reports/${latest.id}`, 302) : notFoundPage(c, state, 'There are no reports yet.')));

  app.get('/reports/:id', (c) => {
    const report = find(c);
    if (!report) return notFoundPage(c, state, `There is no report ${c.req.param('id')}.`);
    if (report === latest) {
      state.report.loads += 1;
      state.report.firstLoadAt ??= Date.now();
    }
    const isReady = ready(report);
    const body = html`<p><a href="/reports">&larr; All reports</a></p>
<h1>${report.title}</h1>
<section class="card" id="report" aria-label="Report">${isReady ? readyReport(report) : processingReport(report)}</section>`;
    return renderPage(c, state, { title: report.title, active: '/reports', body, ...(isReady ? {} : { tail: pollScript(report) }) });
  });

  app.get('/reports/:id/status', (c) => {
    const report = find(c);
    if (!report) return c.json({ error: 'not found' }, 404);
    return c.json({ id: report.id, ready: ready(report) });
  });

  app.get('/reports/:id/fragment', (c) => {
    const report = find(c);
    if (!report) return c.text('not found', 404);
    return c.html((ready(report) ? readyReport(report) : processingReport(report)).value);
  });

  app.get('/reports/:id/download', (c) => {
    const report = find(c);
    if (!report) return notFoundPage(c, state, `There is no report ${c.req.param('id')}.`);
    if (!ready(report)) return c.text('The report is still being generated.', 409);
    return c.body(csv(report), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${report.id}.csv"`,
    });
  });
}

// The job board (cookbook a): search, job pages whose "Apply" button reveals the application form,
// and a confirmation with an application id.
import type { Context, Hono } from 'hono';
import type { Job, JobType } from '../portal-data.ts';
import { JOB_TYPES } from '../portal-data.ts';
import type { PortalState } from '../portal-state.ts';
import { recordUpload } from '../submissions.ts';
import { html, raw } from '../html.ts';
import type { FormBody } from './route-helpers.ts';
import { fieldError, notFoundPage, renderPage, textField } from './route-helpers.ts';

/** Jobs whose text contains every word of `query` (case-insensitive), of `type` when given, newest first. */
export function searchJobs(jobs: readonly Job[], query: string, type: JobType | '' = ''): Job[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return jobs
    .filter((job) => type === '' || job.type === type)
    .filter((job) => {
      const text = `${job.title} ${job.employer} ${job.location} ${job.type} ${job.description}`.toLowerCase();
      return words.every((w) => text.includes(w));
    })
    .sort((a, b) => (a.postedDate === b.postedDate ? a.id.localeCompare(b.id) : b.postedDate.localeCompare(a.postedDate)));
}

type Application = { fullName: string; email: string; answers: Record<string, string> };

function jobPage(c: Context, state: PortalState, job: Job, form?: { values: Application; errors: Record<string, string> }): Response {
  const values = form?.values ?? { fullName: '', email: '', answers: {} };
  const errors = form?.errors ?? {};
  const invalid = (name: string) => (errors[name] ? raw(` aria-invalid="true" aria-describedby="${name}-error"`) : '');
  const questions = job.questions.map((q) => {
    const value = values.answers[q.name] ?? '';
    const required = q.required ? raw(' required') : '';
    const control =
      q.kind === 'textarea'
        ? html`<textarea id="${q.name}" name="${q.name}"${required}${invalid(q.name)}>${value}</textarea>`
        : html`<input id="${q.name}" name="${q.name}" type="${q.kind === 'url' ? 'url' : 'text'}" value="${value}"${required}${invalid(q.name)}>`;
    return html`<div class="field"><label for="${q.name}">${q.label}${q.required ? '' : html` <span class="muted">(optional)</span>`}</label>${control}${fieldError(q.name, errors[q.name])}</div>`;
  });
  const open = form !== undefined;
  const body = html`<p><a href="/jobs">&larr; All jobs</a></p>
<article class="card">
  <h1 data-testid="job-title">${job.title}</h1>
  <dl class="facts">
    <dt>Company</dt><dd data-testid="job-employer">${job.employer}</dd>
    <dt>Location</dt><dd data-testid="job-location">${job.location}</dd>
    <dt>Employment type</dt><dd data-testid="job-type">${job.type}</dd>
    <dt>Salary</dt><dd>${job.salary}</dd>
    <dt>Posted</dt><dd><time datetime="${job.postedDate}">${job.postedDate}</time></dd>
  </dl>
  <h2>About the role</h2><p>${job.description}</p>
  <p><button type="button" id="apply-toggle" aria-expanded="${open ? 'true' : 'false'}" aria-controls="application">Apply</button></p>
</article>
<section id="application" class="card" aria-label="Application form"${open ? '' : raw(' hidden')}>
  <h2 style="margin-top:0">Apply for ${job.title}</h2>
  ${Object.keys(errors).length > 0 ? html`<div class="alert error" role="alert">Please answer the required questions.</div>` : ''}
  <form method="post" action="/jobs/${job.id}/apply" enctype="multipart/form-data">
    <div class="field"><label for="fullName">Full name</label><input id="fullName" name="fullName" type="text" autocomplete="name" required value="${values.fullName}"${invalid('fullName')}>${fieldError('fullName', errors.fullName)}</div>
    <div class="field"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${values.email}"${invalid('email')}>${fieldError('email', errors.email)}</div>
    ${questions}
    <div class="field"><label for="resume">Resume <span class="muted">(optional)</span></label><input id="resume" name="resume" type="file" accept=".pdf,.doc,.docx,.txt"></div>
    <button type="submit" data-testid="submit-application">Submit application</button>
  </form>
</section>`;
  const script = html`<script>document.getElementById('apply-toggle').addEventListener('click', function () {
  var section = document.getElementById('application'); section.hidden = false; this.setAttribute('aria-expanded', 'true');
  section.querySelector('input').focus(); });</script>`;
  return renderPage(c, state, { title: `${job.title} at ${job.employer}`, active: '/jobs', body, tail: script }, open ? 422 : 200);
}

/** Adds `/jobs`, `/jobs/:id` and `/jobs/:id/apply`. */
export function registerJobRoutes(app: Hono, state: PortalState): void {
  const { jobs } = state.data;

  app.get('/jobs', (c) => {
    const query = (c.req.query('q') ?? '').trim();
    const typeParam = c.req.query('type') ?? '';
    const type = JOB_TYPES.find((t) => t === typeParam) ?? '';
    const found = searchJobs(jobs, query, type);
    const typeOptions = JOB_TYPES.map((t) => html`<option value="${t}"${t === type ? raw(' selected') : ''}>${t}</option>`);
    const cards = found.map(
      (job) => html`<article class="card job-card" data-testid="job-card" data-job-id="${job.id}">
  <h3><a href="/jobs/${job.id}">${job.title}</a></h3>
  <div><span class="employer">${job.employer}</span> &middot; <span class="location">${job.location}</span> &middot; <span class="job-type">${job.type}</span></div>
  <div class="muted">${job.salary} &middot; posted <time datetime="${job.postedDate}">${job.postedDate}</time></div>
</article>`,
    );
    const body = html`<h1>Careers</h1>
<form class="card inline" method="get" action="/jobs" role="search" aria-label="Search jobs">
  <div class="field" style="flex:1"><label for="q">Keywords</label><input id="q" name="q" type="search" placeholder="Job title, company or location" value="${query}"></div>
  <div class="field"><label for="type">Employment type</label><select id="type" name="type"><option value="">All types</option>${typeOptions}</select></div>
  <button type="submit">Search</button>
</form>
<p class="muted" data-testid="jobs-count">${found.length === 1 ? '1 job found' : `${found.length} jobs found`}</p>
<div class="jobs">${found.length > 0 ? cards : html`<p>No jobs match your search. Try fewer keywords.</p>`}</div>`;
    return renderPage(c, state, { title: 'Careers', active: '/jobs', body });
  });

  app.get('/jobs/:id', (c) => {
    const job = jobs.find((j) => j.id === c.req.param('id'));
    if (!job) return notFoundPage(c, state, `There is no job ${c.req.param('id')}; it may have been filled.`);
    return jobPage(c, state, job);
  });

  app.post('/jobs/:id/apply', async (c) => {
    const job = jobs.find((j) => j.id === c.req.param('id'));
    if (!job) return notFoundPage(c, state, `There is no job ${c.req.param('id')}; it may have been filled.`);
    const body: FormBody = await c.req.parseBody({ all: true });
    const values: Application = {
      fullName: textField(body, 'fullName'),
      email: textField(body, 'email'),
      answers: Object.fromEntries(job.questions.map((q) => [q.name, textField(body, q.name)])),
    };
    const errors: Record<string, string> = {};
    if (values.fullName === '') errors.fullName = 'Enter your full name.';
    if (!/^[^@\s]+@[^@\s]+$/.test(values.email)) errors.email = 'Enter a valid email address.';
    for (const q of job.questions) if (q.required && (values.answers[q.name] ?? '') === '') errors[q.name] = 'This question is required.';
    if (Object.keys(errors).length > 0) return jobPage(c, state, job, { values, errors });
    const resume = await recordUpload('application', 'resume', body.resume);
    if (resume) state.submissions.uploads.push(resume);
    state.counters.applications += 1;
    const applicationId = `APP-${String(state.counters.applications).padStart(5, '0')}`;
    state.submissions.applications.push({ applicationId, jobId: job.id, ...values, ...(resume ? { resume } : {}), at: new Date().toISOString() });
    const page = html`<div class="card" style="max-width:640px">
<h1>Application submitted</h1>
<div class="alert success" role="status">Thank you, ${values.fullName}. Your application for <strong>${job.title}</strong> at ${job.employer} has been received.</div>
<dl class="facts"><dt>Application ID</dt><dd data-testid="application-id">${applicationId}</dd><dt>Job</dt><dd>${job.id}</dd></dl>
<p><a href="/jobs">Back to all jobs</a></p></div>`;
    return renderPage(c, state, { title: 'Application submitted', active: '/jobs', body: page });
  });
}

// The account form (text, email, tel, select, radio, checkbox, date, file upload, a custom dropdown
// and a contenteditable field) and the documents page, whose form cannot be sent without a file.
import type { Context, Hono } from 'hono';
import type { PortalUser } from '../portal-data.ts';
import type { PortalState } from '../portal-state.ts';
import type { AccountFields, UploadRecord } from '../submissions.ts';
import { recordUpload } from '../submissions.ts';
import type { SafeHtml } from '../html.ts';
import { html, raw } from '../html.ts';
import type { FormBody } from './route-helpers.ts';
import { currentUser, fieldError, redirectToLogin, renderPage, textField } from './route-helpers.ts';

/** Countries of the account form's select, value then label. */
export const COUNTRIES = [
  ['US', 'United States'],
  ['CA', 'Canada'],
  ['GB', 'United Kingdom'],
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['JP', 'Japan'],
  ['AU', 'Australia'],
] as const;

/** Time zones of the account form's custom dropdown, value then label. */
export const TIMEZONES = [
  ['America/Los_Angeles', 'Pacific Time (Los Angeles)'],
  ['America/Denver', 'Mountain Time (Denver)'],
  ['America/Chicago', 'Central Time (Chicago)'],
  ['America/New_York', 'Eastern Time (New York)'],
  ['Europe/London', 'Greenwich Mean Time (London)'],
  ['Europe/Berlin', 'Central European Time (Berlin)'],
  ['Asia/Tokyo', 'Japan Standard Time (Tokyo)'],
] as const;

const CONTACT_METHODS = [
  ['email', 'Email'],
  ['phone', 'Phone call'],
  ['sms', 'Text message'],
] as const;

const DOCUMENT_TYPES = ['Tax exemption certificate', 'Delivery receipt', 'Invoice dispute', 'Other'] as const;

function defaultFields(user: PortalUser): AccountFields {
  return {
    fullName: user.name,
    company: user.company,
    email: user.email,
    phone: '',
    country: 'US',
    contactMethod: 'email',
    newsletter: false,
    deliveryDate: '',
    timezone: 'America/Los_Angeles',
    notes: '',
  };
}

function profileOf(state: PortalState, user: PortalUser) {
  let profile = state.profiles.get(user.email);
  if (!profile) {
    profile = { fields: defaultFields(user), documents: [] };
    state.profiles.set(user.email, profile);
  }
  return profile;
}

type FieldErrors = Partial<Record<keyof AccountFields, string>>;

// The custom dropdown and the contenteditable field write into hidden inputs, as real widgets do.
const ACCOUNT_SCRIPT = `
(function () {
  var box = document.getElementById('timezone-combobox');
  var list = document.getElementById('timezone-listbox');
  var input = document.getElementById('timezone');
  var label = document.getElementById('timezone-value');
  var options = Array.prototype.slice.call(list.querySelectorAll('[role=option]'));
  var active = -1;
  function open() { list.hidden = false; box.setAttribute('aria-expanded', 'true'); }
  function close() { list.hidden = true; box.setAttribute('aria-expanded', 'false'); box.removeAttribute('aria-activedescendant'); }
  function highlight(i) {
    active = (i + options.length) % options.length;
    options.forEach(function (o, j) { o.classList.toggle('active', j === active); });
    box.setAttribute('aria-activedescendant', options[active].id);
  }
  function choose(option) {
    options.forEach(function (o) { o.setAttribute('aria-selected', String(o === option)); });
    input.value = option.getAttribute('data-value');
    label.textContent = option.textContent;
    close();
    box.focus();
  }
  box.addEventListener('click', function () { if (list.hidden) open(); else close(); });
  box.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { e.preventDefault(); if (list.hidden) open(); highlight(active + (e.key === 'ArrowDown' ? 1 : -1)); }
    else if ((e.key === 'Enter' || e.key === ' ') && !list.hidden && active >= 0) { e.preventDefault(); choose(options[active]); }
    else if (e.key === 'Escape') close();
  });
  options.forEach(function (o) { o.addEventListener('click', function () { choose(o); }); });
  document.addEventListener('click', function (e) { if (!box.parentElement.contains(e.target)) close(); });
  var form = document.getElementById('account-form');
  form.addEventListener('submit', function () {
    document.getElementById('notes').value = document.getElementById('notes-editor').innerText.trim();
  });
})();
`;

function accountPage(
  c: Context,
  state: PortalState,
  user: PortalUser,
  fields: AccountFields,
  options: { errors?: FieldErrors; saved?: boolean; certificate?: UploadRecord } = {},
): Response {
  const errors = options.errors ?? {};
  const invalid = (name: keyof AccountFields) => (errors[name] ? raw(` aria-invalid="true" aria-describedby="${name}-error"`) : '');
  const countries = COUNTRIES.map(([value, label]) => html`<option value="${value}"${value === fields.country ? raw(' selected') : ''}>${label}</option>`);
  const methods = CONTACT_METHODS.map(
    ([value, label]) =>
      html`<label><input type="radio" name="contactMethod" value="${value}"${value === fields.contactMethod ? raw(' checked') : ''}> ${label}</label>`,
  );
  const timezoneLabel = TIMEZONES.find(([value]) => value === fields.timezone)?.[1] ?? 'Choose a time zone';
  const timezones = TIMEZONES.map(
    ([value, label], i) =>
      html`<li role="option" id="tz-option-${i}" data-value="${value}" aria-selected="${value === fields.timezone ? 'true' : 'false'}">${label}</li>`,
  );
  const hasErrors = Object.keys(errors).length > 0;
  const body = html`<h1>Account settings</h1>
${options.saved ? html`<div class="alert success" role="status" data-testid="account-saved">Your account settings have been saved.</div>` : ''}
${hasErrors ? html`<div class="alert error" role="alert">Please correct the highlighted fields.</div>` : ''}
${options.certificate ? html`<p class="muted" data-testid="certificate-on-file">Certificate on file: ${options.certificate.name} (${options.certificate.size} bytes)</p>` : ''}
<form id="account-form" class="card" method="post" action="/account" enctype="multipart/form-data" aria-label="Account settings">
  <div class="field"><label for="fullName">Full name</label><input id="fullName" name="fullName" type="text" autocomplete="name" required value="${fields.fullName}"${invalid('fullName')}>${fieldError('fullName', errors.fullName)}</div>
  <div class="field"><label for="company">Company</label><input id="company" name="company" type="text" autocomplete="organization" placeholder="Company name" value="${fields.company}"></div>
  <div class="field"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${fields.email}"${invalid('email')}>${fieldError('email', errors.email)}</div>
  <div class="field"><label for="phone">Phone</label><input id="phone" name="phone" type="tel" autocomplete="tel" placeholder="+1 555 0100" value="${fields.phone}" data-testid="phone-input"></div>
  <div class="field"><label for="country">Country</label><select id="country" name="country">${countries}</select></div>
  <fieldset class="field" style="border:0;padding:0"><legend style="font-weight:600;font-size:14px;margin-bottom:4px">Preferred contact method</legend><div class="choice">${methods}</div></fieldset>
  <div class="field choice"><label><input type="checkbox" id="newsletter" name="newsletter" value="yes"${fields.newsletter ? raw(' checked') : ''}> Send me the monthly newsletter</label></div>
  <div class="field"><label for="deliveryDate">Preferred delivery date</label><input id="deliveryDate" name="deliveryDate" type="date" min="2026-01-01" max="2027-12-31" value="${fields.deliveryDate}"></div>
  <div class="field"><span class="label" id="timezone-label" style="display:block;font-weight:600;font-size:14px;margin-bottom:4px">Time zone</span>
    <div class="dropdown" data-testid="timezone-dropdown">
      <button type="button" id="timezone-combobox" role="combobox" aria-haspopup="listbox" aria-expanded="false" aria-controls="timezone-listbox" aria-labelledby="timezone-label timezone-value">
        <span id="timezone-value">${timezoneLabel}</span><span aria-hidden="true">&#9662;</span></button>
      <ul id="timezone-listbox" role="listbox" aria-labelledby="timezone-label" hidden>${timezones}</ul>
      <input type="hidden" id="timezone" name="timezone" value="${fields.timezone}">
    </div></div>
  <div class="field"><span id="notes-label" style="display:block;font-weight:600;font-size:14px;margin-bottom:4px">Delivery notes</span>
    <div id="notes-editor" class="editor" contenteditable="true" role="textbox" aria-multiline="true" aria-labelledby="notes-label" data-testid="notes-editor">${fields.notes}</div>
    <input type="hidden" id="notes" name="notes" value="${fields.notes}"></div>
  <div class="field"><label for="certificate">Tax exemption certificate</label><input id="certificate" name="certificate" type="file" accept=".pdf,.png,.jpg,.jpeg,.txt">
    <div class="hint">PDF, PNG, JPG or TXT.</div></div>
  <button type="submit">Save changes</button>
</form>
<p><a href="/documents">Upload other documents</a></p>`;
  return renderPage(c, state, { title: 'Account settings', active: '/account', body, tail: html`<script>${raw(ACCOUNT_SCRIPT)}</script>` }, hasErrors ? 422 : 200);
}

function documentsPage(c: Context, state: PortalState, documents: readonly UploadRecord[], error?: string, uploaded?: UploadRecord): Response {
  const types = DOCUMENT_TYPES.map((t) => html`<option>${t}</option>`);
  const rows: SafeHtml[] = documents.map(
    (d) => html`<tr data-testid="document-row"><td>${d.name}</td><td class="num">${d.size}</td><td><code>${d.sha256.slice(0, 16)}</code></td></tr>`,
  );
  const body = html`<h1>Documents</h1>
${error ? html`<div class="alert error" role="alert">${error}</div>` : ''}
${uploaded ? html`<div class="alert success" role="status" data-testid="upload-result">Uploaded ${uploaded.name} (${uploaded.size} bytes, sha256 ${uploaded.sha256})</div>` : ''}
<form class="card" method="post" action="/documents" enctype="multipart/form-data" aria-label="Upload a document">
  <div class="field"><label for="documentType">Document type</label><select id="documentType" name="documentType">${types}</select></div>
  <div class="field"><label for="document">File</label><input id="document" name="document" type="file" required></div>
  <button type="submit">Upload document</button>
</form>
<h2>Your documents</h2>
<table><thead><tr><th scope="col">Name</th><th scope="col" class="num">Size (bytes)</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="3" class="muted">No documents yet.</td></tr>`}</tbody></table>`;
  return renderPage(c, state, { title: 'Documents', active: '/account', body }, error ? 422 : 200);
}

/** Adds `/account` and `/documents`. */
export function registerAccountRoutes(app: Hono, state: PortalState): void {
  app.get('/account', (c) => {
    const user = currentUser(c, state);
    if (!user) return redirectToLogin(c);
    const profile = profileOf(state, user);
    return accountPage(c, state, user, profile.fields, {
      saved: c.req.query('saved') === '1',
      ...(profile.certificate ? { certificate: profile.certificate } : {}),
    });
  });

  app.post('/account', async (c) => {
    const user = currentUser(c, state);
    if (!user) return redirectToLogin(c);
    const body: FormBody = await c.req.parseBody({ all: true });
    const country = textField(body, 'country');
    const contactMethod = textField(body, 'contactMethod');
    const timezone = textField(body, 'timezone');
    const fields: AccountFields = {
      fullName: textField(body, 'fullName'),
      company: textField(body, 'company'),
      email: textField(body, 'email'),
      phone: textField(body, 'phone'),
      country: COUNTRIES.some(([v]) => v === country) ? country : 'US',
      contactMethod: CONTACT_METHODS.some(([v]) => v === contactMethod) ? contactMethod : 'email',
      newsletter: textField(body, 'newsletter') === 'yes',
      deliveryDate: /^\d{4}-\d{2}-\d{2}$/.test(textField(body, 'deliveryDate')) ? textField(body, 'deliveryDate') : '',
      timezone: TIMEZONES.some(([v]) => v === timezone) ? timezone : 'America/Los_Angeles',
      notes: textField(body, 'notes'),
    };
    const errors: FieldErrors = {};
    if (fields.fullName === '') errors.fullName = 'Enter your full name.';
    if (!/^[^@\s]+@[^@\s]+$/.test(fields.email)) errors.email = 'Enter an email address like name@company.com.';
    if (Object.keys(errors).length > 0) return accountPage(c, state, user, fields, { errors });
    const upload = await recordUpload('account', 'certificate', body.certificate);
    const profile = profileOf(state, user);
    profile.fields = fields;
    if (upload) {
      profile.certificate = upload;
      state.submissions.uploads.push(upload);
    }
    state.submissions.accounts.push({ fields, ...(upload ? { upload } : {}), at: new Date().toISOString() });
    return c.redirect('/account?saved=1', 303);
  });

  app.get('/documents', (c) => {
    const user = currentUser(c, state);
    if (!user) return redirectToLogin(c);
    return documentsPage(c, state, profileOf(state, user).documents);
  });

  app.post('/documents', async (c) => {
    const user = currentUser(c, state);
    if (!user) return redirectToLogin(c);
    const body: FormBody = await c.req.parseBody({ all: true });
    const profile = profileOf(state, user);
    const upload = await recordUpload('documents', 'document', body.document);
    if (!upload) return documentsPage(c, state, profile.documents, 'Choose a file to upload.');
    profile.documents.push(upload);
    state.submissions.uploads.push(upload);
    return documentsPage(c, state, profile.documents, undefined, upload);
  });
}

// What a browser submitted to the portal, recorded so tests can assert on outcomes the server saw.
import { createHash } from 'node:crypto';

/** A file received by an upload field. */
export type UploadRecord = {
  /** The form: `account`, `documents` or `application`. */
  form: 'account' | 'documents' | 'application';
  /** The input's name attribute. */
  field: string;
  name: string;
  size: number;
  /** Hex SHA-256 of the bytes received. */
  sha256: string;
  /** The browser-reported MIME type. */
  type: string;
  at: string;
};

/** One login step: the password form or the TOTP form. */
export type LoginAttempt = {
  email: string;
  step: 'password' | 'totp';
  outcome: 'ok' | 'invalid_credentials' | 'locked' | 'invalid_code';
  at: string;
};

/** The account form's fields as saved (`notes` is the contenteditable field's text). */
export type AccountFields = {
  fullName: string;
  company: string;
  email: string;
  phone: string;
  country: string;
  contactMethod: string;
  newsletter: boolean;
  deliveryDate: string;
  timezone: string;
  notes: string;
};

/** A save of the account form. */
export type AccountSave = { fields: AccountFields; upload?: UploadRecord; at: string };

/** A submitted job application. */
export type JobApplication = {
  /** `APP-00001`, counting per portal. */
  applicationId: string;
  jobId: string;
  fullName: string;
  email: string;
  /** Answers to the job's questions by question name. */
  answers: Record<string, string>;
  resume?: UploadRecord;
  at: string;
};

/** A form submitted inside a widget: the same-origin frame, the cross-origin frame, the shadow-DOM widget. */
export type WidgetSubmission = {
  widget: 'same-origin-frame' | 'cross-origin-frame' | 'shadow-feedback';
  fields: Record<string, string>;
  at: string;
};

/** Everything recorded, oldest first. Arrays may be cleared by the test that owns the portal. */
export type PortalSubmissions = {
  logins: LoginAttempt[];
  accounts: AccountSave[];
  uploads: UploadRecord[];
  applications: JobApplication[];
  widgets: WidgetSubmission[];
};

/** An empty record. */
export function createSubmissions(): PortalSubmissions {
  return { logins: [], accounts: [], uploads: [], applications: [], widgets: [] };
}

/** Reads an uploaded file into an `UploadRecord`; undefined when the field held no file. */
export async function recordUpload(form: UploadRecord['form'], field: string, value: unknown): Promise<UploadRecord | undefined> {
  if (!(value instanceof File) || (value.name === '' && value.size === 0)) return undefined;
  const bytes = new Uint8Array(await value.arrayBuffer());
  return {
    form,
    field,
    name: value.name,
    size: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    type: value.type,
    at: new Date().toISOString(),
  };
}

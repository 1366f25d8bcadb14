// Removing secret values from stored artifacts. Playwright's trace records the parameters of every
// call (a `fill` carries the typed text) and its DOM snapshots carry input values, passwords included;
// the run context therefore remembers the values typed as sensitive (in memory only) and replaces them
// in the trace, the HTML snapshot and the console log before they are stored. Screenshots and video
// cannot be redacted this way; password fields show dots there, other fields show what was typed.
import { unzipSync, zipSync, type Zippable } from 'fflate';

const MASK = Buffer.from('********');
const BINARY = /\.(jpe?g|png|gif|webp|woff2?|ttf|ico|mp4|webm)$/i;

function forms(secret: string): Buffer[] {
  const variants = new Set([secret, JSON.stringify(secret).slice(1, -1), secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')]);
  return [...variants].filter((v) => v.length > 0).map((v) => Buffer.from(v, 'utf8'));
}

/** Replaces every occurrence of each secret (raw, JSON-escaped, HTML-escaped) with `********`. */
export function redactBytes(data: Uint8Array, secrets: readonly string[]): { data: Buffer; replaced: number } {
  let buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let replaced = 0;
  for (const secret of secrets) {
    for (const needle of forms(secret)) {
      let at = buffer.indexOf(needle);
      if (at < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at >= 0) {
        parts.push(buffer.subarray(from, at), MASK);
        replaced += 1;
        from = at + needle.length;
        at = buffer.indexOf(needle, from);
      }
      parts.push(buffer.subarray(from));
      buffer = Buffer.concat(parts);
    }
  }
  return { data: buffer, replaced };
}

/** Replaces each secret in a text (see `redactBytes`). */
export function redactText(text: string, secrets: readonly string[]): string {
  return secrets.length === 0 ? text : redactBytes(Buffer.from(text, 'utf8'), secrets).data.toString('utf8');
}

/** Redacts the text entries of a zip (a Playwright trace); binary entries are left as they are. */
export function redactZip(zip: Uint8Array, secrets: readonly string[]): { data: Uint8Array; replaced: number } {
  if (secrets.length === 0) return { data: zip, replaced: 0 };
  const entries = unzipSync(zip);
  const out: Zippable = {};
  let replaced = 0;
  for (const [name, content] of Object.entries(entries)) {
    if (BINARY.test(name)) {
      out[name] = [content, { level: 0 }];
      continue;
    }
    const result = redactBytes(content, secrets);
    replaced += result.replaced;
    out[name] = new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength);
  }
  return { data: zipSync(out, { level: 6 }), replaced };
}

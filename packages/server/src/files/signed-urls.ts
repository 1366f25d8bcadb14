// Signed URLs: links that serve an artifact's or an uploaded file's bytes without an API key until
// they expire, so `screenshot_urls` and `recording_url` in run responses open in a browser. The
// query is Skyvern's (`?expiry=&kid=&sig=`): `sig` is base64url HMAC-SHA256 over
// `v1\n<resource>\n<expiry>\n<kid>` under a key derived from the vault's master key, so every
// process of a deployment signs and verifies alike; rotating the master key invalidates old links.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a signed URL names: an artifact or an uploaded file. */
export type SignedResource = { kind: 'artifact' | 'file'; id: string };

/** The signature part of a signed URL's query. */
export type UrlSignature = { expiry: string; kid: string; sig: string };

/** Options of `createUrlSigner`. */
export type UrlSignerOptions = {
  /** The HMAC key (32 bytes); `deriveUrlSigningKey(masterKey)` in servers and workers. */
  key: Uint8Array;
  /** The base URL clients reach the server at, e.g. `http://127.0.0.1:8000` (read at signing time). */
  baseUrl: () => string;
  /** How long a URL works, in seconds. Default 86 400. */
  ttlSeconds?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
};

/** Builds and checks signed URLs. */
export type UrlSigner = {
  /** The signing key's id (safe to show). */
  readonly kid: string;
  /** How long URLs work, in seconds. */
  readonly ttlSeconds: number;
  /** A signed URL of an artifact's bytes (`/v1/artifacts/{id}/content?…`): the run services' URL builder. */
  artifactUrl(artifactId: string): string;
  /** A signed URL of an uploaded file's bytes (`/v1/files/{id}/content?…`). */
  fileUrl(fileId: string): string;
  /** A signed URL and its expiry. */
  signedUrl(resource: SignedResource): { url: string; expiresAt: Date };
  /** True when the signature is this key's, names `resource` and has not expired. */
  verify(resource: SignedResource, signature: Partial<UrlSignature>): boolean;
};

/** Derives the URL signing key from the vault's master key (HKDF-SHA256), so it needs no configuration of its own. */
export function deriveUrlSigningKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'petrel/url-signing/v1', 32));
}

function canonical(resource: SignedResource, expiry: string, kid: string): string {
  return `v1\n${resource.kind}:${resource.id}\n${expiry}\n${kid}`;
}

/** Creates a URL signer. */
export function createUrlSigner(options: UrlSignerOptions): UrlSigner {
  const key = Buffer.from(options.key);
  if (key.length < 16) throw new Error('createUrlSigner: the key must be at least 16 bytes');
  const kid = `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
  const ttlSeconds = options.ttlSeconds ?? 86_400;
  const now = options.now ?? Date.now;
  const mac = (text: string): string => createHmac('sha256', key).update(text).digest('base64url');

  const signedUrl = (resource: SignedResource): { url: string; expiresAt: Date } => {
    const expiry = String(Math.floor(now() / 1000) + ttlSeconds);
    const path = resource.kind === 'artifact' ? `/v1/artifacts/${encodeURIComponent(resource.id)}/content` : `/v1/files/${encodeURIComponent(resource.id)}/content`;
    const query = new URLSearchParams({ expiry, kid, sig: mac(canonical(resource, expiry, kid)) });
    return { url: `${options.baseUrl().replace(/\/+$/, '')}${path}?${query.toString()}`, expiresAt: new Date(Number(expiry) * 1000) };
  };

  return {
    kid,
    ttlSeconds,
    artifactUrl: (artifactId) => signedUrl({ kind: 'artifact', id: artifactId }).url,
    fileUrl: (fileId) => signedUrl({ kind: 'file', id: fileId }).url,
    signedUrl,
    verify(resource, signature) {
      const { expiry, sig } = signature;
      if (expiry === undefined || sig === undefined || signature.kid !== kid || !/^\d{1,12}$/.test(expiry)) return false;
      if (Number(expiry) * 1000 < now()) return false;
      const expected = Buffer.from(mac(canonical(resource, expiry, kid)));
      const given = Buffer.from(sig);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

// Envelope encryption of secrets with AES-256-GCM. Each value gets its own random data key; the
// value is encrypted under the data key (96-bit random IV, 128-bit tag, the caller's context as
// additional authenticated data), and the data key is wrapped under the master key. A ciphertext
// names its master key by id, so rotation re-wraps data keys without touching the values, and a
// ciphertext copied to another row or organization fails to decrypt (the context differs).
//
// Format: `pv1.<key id>.<wrapped data key>.<sealed value>`, both parts base64url of iv|tag|bytes.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PetrelError } from '@petrel/protocol';

const FORMAT = 'pv1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts and decrypts secrets under a master key; older keys in the ring can still decrypt. */
export type Vault = {
  /** Id of the master key new ciphertexts are wrapped under (`mk_` + 16 hex digits). */
  readonly keyId: string;
  /** Ids of every master key this vault can decrypt with. */
  readonly keyIds: readonly string[];
  /** Encrypts `plaintext`, bound to `context` (e.g. `credential:o_1:cred_2`). */
  encrypt(plaintext: string, context: string): string;
  /** Decrypts a ciphertext made with the same `context`; throws `INTERNAL` when it does not authenticate. */
  decrypt(ciphertext: string, context: string): string;
  /** Re-wraps a ciphertext's data key under the current master key; the sealed value is unchanged. */
  rewrap(ciphertext: string): string;
  /** The master key id a ciphertext names. */
  keyIdOf(ciphertext: string): string;
  /** A vault whose current key is `newKey`, keeping this vault's keys for decryption. */
  withNewKey(newKey: Uint8Array): Vault;
};

/** Options of `createVault`. */
export type VaultOptions = {
  /** The current master key: 32 bytes. */
  key: Uint8Array;
  /** Older master keys still able to decrypt (during and after a rotation). Default none. */
  previousKeys?: readonly Uint8Array[];
};

/** The id of a master key: `mk_` and the first 16 hex digits of its SHA-256. Safe to log. */
export function masterKeyId(key: Uint8Array): string {
  return `mk_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Returns 32 fresh random bytes for a master key. */
export function generateMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Parses a base64 (or base64url) master key; throws `INVALID_CONFIG` unless it is 32 bytes. */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, /[-_]/.test(trimmed) ? 'base64url' : 'base64');
  if (bytes.length !== KEY_BYTES || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new PetrelError('INVALID_CONFIG', `vault: the master key from ${source} must be 32 bytes in base64 (44 characters)`);
  }
  return bytes;
}

function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function open(key: Uint8Array, sealed: string, aad: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value too short');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

type Parsed = { keyId: string; wrapped: string; sealed: string };

function wrapContext(id: string): string {
  return `petrel-data-key:${id}`;
}

function parse(ciphertext: string): Parsed {
  const parts = ciphertext.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT || !parts[1] || !parts[2] || !parts[3]) {
    throw new PetrelError('INTERNAL', 'vault.decrypt: not a vault ciphertext');
  }
  return { keyId: parts[1], wrapped: parts[2], sealed: parts[3] };
}

/** Builds a vault over a master key (and older keys for decryption). */
export function createVault(options: VaultOptions): Vault {
  const ring = new Map<string, Buffer>();
  const add = (key: Uint8Array): string => {
    if (key.length !== KEY_BYTES) throw new PetrelError('INVALID_CONFIG', 'vault: a master key must be 32 bytes');
    const id = masterKeyId(key);
    ring.set(id, Buffer.from(key));
    return id;
  };
  for (const key of options.previousKeys ?? []) add(key);
  const keyId = add(options.key);
  const current = ring.get(keyId)!;

  const unwrap = (parsed: Parsed, operation: string): Buffer => {
    const master = ring.get(parsed.keyId);
    if (master === undefined) {
      throw new PetrelError('INVALID_CONFIG', `${operation}: the value is encrypted under master key ${parsed.keyId}, which this server does not have`);
    }
    try {
      return open(master, parsed.wrapped, wrapContext(parsed.keyId));
    } catch (error) {
      throw new PetrelError('INTERNAL', `${operation}: the data key does not authenticate`, { cause: error });
    }
  };

  return {
    keyId,
    keyIds: [...ring.keys()],
    encrypt(plaintext, context) {
      const dataKey = randomBytes(KEY_BYTES);
      try {
        const sealed = seal(dataKey, Buffer.from(plaintext, 'utf8'), context);
        return `${FORMAT}.${keyId}.${seal(current, dataKey, wrapContext(keyId))}.${sealed}`;
      } finally {
        dataKey.fill(0);
      }
    },
    decrypt(ciphertext, context) {
      const parsed = parse(ciphertext);
      const dataKey = unwrap(parsed, 'vault.decrypt');
      try {
        return open(dataKey, parsed.sealed, context).toString('utf8');
      } catch (error) {
        throw new PetrelError('INTERNAL', 'vault.decrypt: the value does not authenticate (wrong context or tampered)', { cause: error });
      } finally {
        dataKey.fill(0);
      }
    },
    rewrap(ciphertext) {
      const parsed = parse(ciphertext);
      if (parsed.keyId === keyId) return ciphertext;
      const dataKey = unwrap(parsed, 'vault.rewrap');
      try {
        return `${FORMAT}.${keyId}.${seal(current, dataKey, wrapContext(keyId))}.${parsed.sealed}`;
      } finally {
        dataKey.fill(0);
      }
    },
    keyIdOf(ciphertext) {
      return parse(ciphertext).keyId;
    },
    withNewKey(newKey) {
      return createVault({ key: newKey, previousKeys: [...ring.values()] });
    },
  };
}

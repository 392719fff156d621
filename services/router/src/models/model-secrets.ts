import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// litellm_params of a model stored in the database, sealed with AES-256-GCM: a fresh 96-bit nonce per
// value, and the tag authenticates it, so a row edited in the database fails to open instead of sending
// a forged api_base a real key. The key is SHA-256 of LITELLM_SALT_KEY (any length in, 32 bytes out).

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class ModelSecrets {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(secret, 'utf8').digest();
  }

  seal(plain: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64')}`;
  }

  /** Throws when the value was sealed with another key or changed since. */
  open(value: string): string {
    if (!value.startsWith(`${VERSION}:`)) throw new Error('unknown sealed-value format');
    const bytes = Buffer.from(value.slice(VERSION.length + 1), 'base64');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

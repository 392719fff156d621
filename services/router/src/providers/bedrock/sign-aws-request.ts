import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or HMAC-SHA256 with a secret) in the shape @smithy/signature-v4 expects, on node:crypto. */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(ArrayBuffer.isView(this.secret) ? this.secret.buffer.slice(this.secret.byteOffset, this.secret.byteOffset + this.secret.byteLength) : this.secret);
    return createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    if (typeof data === 'string') this.hash.update(data, 'utf8');
    else if (ArrayBuffer.isView(data)) this.hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else this.hash.update(new Uint8Array(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.create();
  }
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  /** https://host[:port] */
  origin: string;
  /** Path as sent, already percent-encoded, with an optional query string. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const signers = new Map<string, SignatureV4>();

function signerFor(credentials: AwsCredentials, region: string, service: string): SignatureV4 {
  const key = `${credentials.accessKeyId}\n${credentials.sessionToken ?? ''}\n${region}\n${service}`;
  let signer = signers.get(key);
  if (!signer) {
    // No x-amz-content-sha256 header: only S3 needs it (botocore leaves it out for Bedrock too).
    // Loaded on first use: only Bedrock deployments sign requests.
    const { SignatureV4: Signer } = createRequire(import.meta.url)('@smithy/signature-v4') as typeof import('@smithy/signature-v4');
    signer = new Signer({ credentials, region, service, sha256: NodeSha256, applyChecksum: false });
    signers.set(key, signer);
  }
  return signer;
}

/**
 * Signs a request with AWS Signature Version 4 and returns the headers to send (the given ones plus
 * host, x-amz-date, x-amz-security-token and authorization). `now` is injectable
 * so tests can check signatures against AWS's test suite.
 */
export async function signAwsRequest(
  request: SignableRequest,
  credentials: AwsCredentials,
  region: string,
  service: string,
  now?: Date,
): Promise<Record<string, string>> {
  const origin = new URL(request.origin);
  const queryStart = request.path.indexOf('?');
  const pathname = queryStart === -1 ? request.path : request.path.slice(0, queryStart);
  const query: Record<string, string | string[]> = {};
  if (queryStart !== -1) {
    for (const [name, value] of new URLSearchParams(request.path.slice(queryStart + 1))) {
      const existing = query[name];
      query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
  }
  const signed = await signerFor(credentials, region, service).sign(
    {
      method: request.method,
      protocol: origin.protocol,
      hostname: origin.hostname,
      ...(origin.port ? { port: Number(origin.port) } : {}),
      // The path as it goes on the wire; the signer percent-encodes it once more, as SigV4 requires for
      // every service but S3 (a model id `a:b` is sent as `a%3Ab` and signed as `a%253Ab`).
      path: pathname,
      query,
      headers: { ...request.headers, host: origin.host },
      body: request.body,
    },
    now ? { signingDate: now } : undefined,
  );
  return signed.headers as Record<string, string>;
}

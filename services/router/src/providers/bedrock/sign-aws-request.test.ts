// AWS's SigV4 test suite (../shared/fixtures/aws-sigv4-testsuite): every request signed as AWS says.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { signAwsRequest } from './sign-aws-request.js';

const SUITE = join(FIXTURES_DIR, 'aws-sigv4-testsuite');
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const DATE = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

function cases(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) return [];
    const own = readdirSync(path).some((file) => file === `${name}.req`) ? [path] : [];
    return [...own, ...cases(path)];
  });
}

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A .req file: request line, headers (continuation lines folded into the previous value), blank line, body. */
function parseRequest(text: string): RawRequest {
  const [head, ...rest] = text.split('\n\n');
  const lines = head!.split('\n');
  const requestLine = lines.shift()!;
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const path = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' HTTP/'));
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line) && last) {
      headers[last] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    last = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1);
    headers[last] = headers[last] === undefined ? value : `${headers[last]},${value}`;
  }
  return { method, path, headers, body: rest.join('\n\n') };
}

const all = cases(SUITE);

describe('SigV4 signing against the AWS test suite', () => {
  test('the suite is there', () => {
    expect(all.length).toBeGreaterThan(25);
  });

  test.each(all.map((path) => [path.slice(SUITE.length + 1), path] as const))('%s', async (_name, path) => {
    const name = path.split('/').at(-1)!;
    const request = parseRequest(readFileSync(join(path, `${name}.req`), 'utf8'));
    const expected = readFileSync(join(path, `${name}.authz`), 'utf8').trim();
    const { host, 'x-amz-date': _date, 'x-amz-security-token': sentToken, ...headers } = request.headers;
    // get-vanilla-with-session-token names its token only in the canonical request it expects.
    const creq = readFileSync(join(path, `${name}.creq`), 'utf8');
    const token = sentToken ?? /^x-amz-security-token:(.*)$/m.exec(creq)?.[1];
    const signed = await signAwsRequest(
      { method: request.method, origin: `https://${host}`, path: request.path, headers, body: request.body },
      // "Header before": the token is signed; "header after" adds it once the signature exists.
      token && !name.endsWith('-after') ? { ...CREDENTIALS, sessionToken: token } : CREDENTIALS,
      'us-east-1',
      'service',
      DATE,
    );
    expect(signed.authorization).toBe(expected);
  });
});

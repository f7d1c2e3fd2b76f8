/**
 * The two signatures on every delivery, both over the exact bytes sent.
 *
 * - `X-Leaf-Signature`: base64(HMAC-SHA256(key = the webhook secret as UTF-8, message = body))
 *   (leaf-api.md 5.2, Leaf's `alerts_authentication.md`). Leaf signs no time, so a captured
 *   delivery can be replayed; hence the second one.
 * - Standard Webhooks (anchors.md D): `webhook-id`, `webhook-timestamp` (seconds) and
 *   `webhook-signature: v1,<base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))>`. The spec's
 *   secrets look like `whsec_<base64 key>`; a webhook secret of that form is used as the spec's
 *   libraries use it (the decoded bytes), any other secret as its UTF-8 bytes [I]. So a receiver
 *   verifies a plain secret `s` with any Standard Webhooks library given `whsec_` + base64(s).
 */
import crypto from 'node:crypto';

const STANDARD_PREFIX = 'whsec_';

/** `X-Leaf-Signature` for a body. */
export function leafSignature(secret: string, body: string | Buffer): string {
  return crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('base64');
}

/** The HMAC key the Standard Webhooks signature uses for a webhook secret. */
export function standardWebhooksKey(secret: string): Buffer {
  if (secret.startsWith(STANDARD_PREFIX)) {
    const encoded = secret.slice(STANDARD_PREFIX.length);
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return Buffer.from(encoded, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

/** `webhook-signature` for one attempt: `v1,` and the base64 HMAC of `id.timestamp.body`. */
export function standardWebhooksSignature(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = crypto.createHmac('sha256', standardWebhooksKey(secret));
  mac.update(`${id}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The signature headers of one attempt; a retry signs again with its own timestamp. */
export function signatureHeaders(secret: string, id: string, attemptAtMs: number, body: string): Record<string, string> {
  const timestamp = Math.floor(attemptAtMs / 1000);
  return {
    'x-leaf-signature': leafSignature(secret, body),
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardWebhooksSignature(secret, id, timestamp, body),
  };
}

/** A fresh secret in the Standard Webhooks form, for webhooks registered without one. */
export function generateWebhookSecret(): string {
  return `${STANDARD_PREFIX}${crypto.randomBytes(24).toString('base64')}`;
}

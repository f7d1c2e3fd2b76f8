import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafSignature, signatureHeaders, standardWebhooksKey, standardWebhooksSignature } from './sign-alert.js';

describe('alert signatures', () => {
  it("reproduces the Standard Webhooks specification's published test vector", () => {
    // standard-webhooks/standard-webhooks spec and its libraries' tests.
    const signature = standardWebhooksSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('uses a plain secret as UTF-8, so a library given whsec_ + base64(secret) verifies it', () => {
    const plain = 'mRyT257XpFWX';
    expect(standardWebhooksKey(plain)).toEqual(Buffer.from(plain, 'utf8'));
    const viaLibraryForm = standardWebhooksSignature(`whsec_${Buffer.from(plain).toString('base64')}`, 'id', 1, '{}');
    expect(standardWebhooksSignature(plain, 'id', 1, '{}')).toBe(viaLibraryForm);
  });

  it('signs X-Leaf-Signature as base64 HMAC-SHA256 of the body with the secret as UTF-8, whatever its form', () => {
    const body = '{"message": "confirmation of webhook upon registration"}';
    for (const secret of ['mRyT257XpFWX', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']) {
      expect(leafSignature(secret, body)).toBe(crypto.createHmac('sha256', secret).update(body).digest('base64'));
    }
  });

  it('gives each attempt its own timestamp in whole seconds, and the same id', () => {
    const a = signatureHeaders('s', 'evt-1', 1_700_000_000_999, '{}');
    const b = signatureHeaders('s', 'evt-1', 1_700_000_060_000, '{}');
    expect(a['webhook-timestamp']).toBe('1700000000');
    expect(b['webhook-timestamp']).toBe('1700000060');
    expect(a['webhook-id']).toBe(b['webhook-id']);
    expect(a['webhook-signature']).not.toBe(b['webhook-signature']);
    expect(a['x-leaf-signature']).toBe(b['x-leaf-signature']);
  });
});

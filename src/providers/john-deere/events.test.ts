import { describe, expect, it } from 'vitest';
import { DEERE_TOKEN_PATTERN, parseDeereDelivery } from './events.js';

describe("reading a John Deere event delivery", () => {
  it('takes the token of every event of the delivered array', () => {
    const event = { clientKey: 'app', eventTypeId: 'fileUpload', targetResource: 'https://sandboxapi.deere.com/platform/files/1', metadata: [{ key: 'orgId', value: '12345' }] };
    expect(parseDeereDelivery([{ ...event, token: 'abc123ABC+/=' }, { ...event, token: 'def' }])).toEqual({ tokens: ['abc123ABC+/=', 'def'] });
  });

  it('is not a delivery without an array of events that each carry a token', () => {
    expect(parseDeereDelivery({ token: 'abc' })).toBeUndefined();
    expect(parseDeereDelivery([])).toBeUndefined();
    expect(parseDeereDelivery([{ token: 'abc' }, { eventTypeId: 'fileUpload' }])).toBeUndefined();
    expect(parseDeereDelivery([{ token: 42 }])).toBeUndefined();
    expect(parseDeereDelivery(null)).toBeUndefined();
  });

  it("checks tokens against Deere's pattern, which base64 fits", () => {
    expect(DEERE_TOKEN_PATTERN.test(Buffer.alloc(32, 255).toString('base64'))).toBe(true);
    expect(DEERE_TOKEN_PATTERN.test('has-dash')).toBe(false);
  });
});

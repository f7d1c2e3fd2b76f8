/**
 * The Panorama adapter against its emulator, over real HTTP on loopback: the sandbox app on port
 * 0, the adapter through `createAdapterContext` and the global fetch. Both Cognito flows, the
 * fallback from an expired refresh token to the partner's password, the operation check, the share
 * page of the one-click flow, every fault, and redaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { AMZ_JSON_1_1, INITIATE_AUTH_TARGET, getPanoramaOperation, panoramaAdapter, panoramaPasswordLogin, panoramaShareUrl, type PanoramaCredentialFields } from './client.js';
import { PANORAMA_ACCOUNT_DETAILS_PATH } from './emulator.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

async function connect(options: { scenario?: string; seed?: number } = {}) {
  const account = await sandbox.createAccount('panorama', options);
  const fields = account.credentials as unknown as PanoramaCredentialFields & { refreshToken: string };
  const { ctx, exchanges } = sandbox.adapterContext('panorama', { secretValues: [fields.password, fields.refreshToken] });
  const credential = (tokens?: TokenSet, overrides: Partial<PanoramaCredentialFields> = {}): ProviderCredential<PanoramaCredentialFields> => ({
    id: 'credential-1',
    environment: 'STAGE',
    fields: { ...fields, ...overrides },
    tokens,
  });
  return { id: account.id, fields, ctx, exchanges, credential };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const cognitoUrl = () => `${sandbox.sandboxBaseUrl}/panorama/cognito-idp/`;

describe('the Panorama adapter against its emulator', () => {
  it('validates a sandbox credential: REFRESH_TOKEN_AUTH for a one-hour access token, then the shared operation', async () => {
    const { id, ctx, credential } = await connect();
    const before = Date.now();
    const tokens = await panoramaAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toMatch(/^sbx_at_/);
    // Cognito keeps the refresh token: none comes back, and the posted one stays in use.
    expect(tokens?.refreshToken).toBeUndefined();
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(HOUR_MS - 5_000);
    expect(tokens?.raw).toEqual({ tokenType: 'Bearer' });
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
  });

  it('refreshes again and again with the same refresh token: Cognito does not rotate', async () => {
    const { id, ctx, credential } = await connect();
    const first = await panoramaAdapter.refresh(credential(), ctx);
    const second = await panoramaAdapter.refresh(credential(first), ctx);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await sandbox.stats(id)).toMatchObject({ tokenRequests: 2, refreshes: 2, refreshTokensRedeemedTwice: 0 });
  });

  it("logs in with the partner's password (USER_PASSWORD_AUTH) when no refresh token was posted: the one-click case", async () => {
    const { id, fields, ctx } = await connect();
    const { refreshToken: _posted, ...withoutRefreshToken } = fields;
    const tokens = await panoramaAdapter.validate({ id: 'credential-1', environment: 'STAGE', fields: withoutRefreshToken, tokens: undefined }, ctx);
    expect(tokens?.refreshToken).toMatch(/^sbx_rt_/);
    expect(tokens?.refreshToken).not.toBe(fields.refreshToken);
    // A login is not a refresh; the new refresh token then refreshes.
    expect(await sandbox.stats(id)).toMatchObject({ tokenRequests: 1, refreshes: 0 });
    const refreshed = await panoramaAdapter.refresh({ id: 'credential-1', environment: 'STAGE', fields: withoutRefreshToken, tokens: tokens! }, ctx);
    expect(refreshed.accessToken).not.toBe(tokens!.accessToken);
    expect(await sandbox.stats(id)).toMatchObject({ tokenRequests: 2, refreshes: 1 });
  });

  it("logs in with the partner's password once the refresh token has expired (30 days), and carries on with the new one", async () => {
    const { id, fields, ctx, exchanges, credential } = await connect();
    await panoramaAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(30 * DAY_MS + 1_000);
    const tokens = await panoramaAdapter.refresh(credential(), ctx);
    expect(tokens.refreshToken).toMatch(/^sbx_rt_/);
    expect(tokens.refreshToken).not.toBe(fields.refreshToken);
    const flows = exchanges.map((e) => JSON.parse(e.request.body!).AuthFlow);
    expect(flows).toEqual(['REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH', 'USER_PASSWORD_AUTH']);
    expect(JSON.parse(exchanges[1]!.response!.body!)).toEqual({ __type: 'NotAuthorizedException', message: 'Refresh Token has expired' });
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('answers NotAuthorizedException to a revoked refresh token (revoke fault): auth_revoked, with no password fallback', async () => {
    const { id, ctx, exchanges, credential } = await connect();
    await panoramaAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(panoramaAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400, reason: 'Cognito answered 400 NotAuthorizedException: Refresh Token has been revoked' });
    expect(exchanges).toHaveLength(2);
    expect(exchanges[1]!.response!.headers).toMatchObject({ 'content-type': expect.stringContaining(AMZ_JSON_1_1), 'x-amzn-errortype': 'NotAuthorizedException:' });
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('refuses a wrong partner password or user name, an unknown refresh token and an unknown app client: auth_revoked', async () => {
    const { fields, ctx, credential } = await connect();
    const wrongPassword = await failure(panoramaPasswordLogin(ctx, { ...fields, password: 'not-the-password' }));
    expect(wrongPassword.reason).toBe('Cognito answered 400 NotAuthorizedException: Incorrect username or password.');
    expect((await failure(panoramaPasswordLogin(ctx, { ...fields, username: 'someone@example.com' }))).errorClass).toBe('auth_revoked');
    expect((await failure(panoramaAdapter.refresh(credential(undefined, { refreshToken: 'sbx_rt_unknown' }), ctx))).reason).toContain('Invalid Refresh Token');
    const unknownClient = await failure(panoramaAdapter.refresh(credential(undefined, { clientId: 'no-such-client' }), ctx));
    expect(unknownClient).toMatchObject({ errorClass: 'auth_revoked', reason: 'Cognito answered 400 ResourceNotFoundException: User pool client no-such-client does not exist.' });
  });

  it('speaks AWS JSON 1.1 only: another target or content type is refused in Cognito\'s shape', async () => {
    const { fields } = await connect();
    const body = JSON.stringify({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: fields.clientId, AuthParameters: { REFRESH_TOKEN: fields.refreshToken } });
    const wrongTarget = await fetch(cognitoUrl(), { method: 'POST', headers: { 'content-type': AMZ_JSON_1_1, 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' }, body });
    expect(wrongTarget.status).toBe(400);
    expect(await wrongTarget.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const notJson = await fetch(cognitoUrl(), { method: 'POST', headers: { 'content-type': AMZ_JSON_1_1, 'x-amz-target': INITIATE_AUTH_TARGET }, body: '{not json' });
    expect(await notJson.json()).toMatchObject({ __type: 'SerializationException' });
    const srp = await fetch(cognitoUrl(), { method: 'POST', headers: { 'content-type': AMZ_JSON_1_1, 'x-amz-target': INITIATE_AUTH_TARGET }, body: JSON.stringify({ AuthFlow: 'USER_SRP_AUTH', ClientId: fields.clientId, AuthParameters: {} }) });
    expect(await srp.json()).toMatchObject({ __type: 'InvalidParameterException' });
    const ok = await fetch(cognitoUrl(), { method: 'POST', headers: { 'content-type': AMZ_JSON_1_1, 'x-amz-target': INITIATE_AUTH_TARGET }, body });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain(AMZ_JSON_1_1);
    const answer = (await ok.json()) as { AuthenticationResult: Record<string, unknown>; ChallengeParameters: unknown };
    expect(answer).toEqual({ AuthenticationResult: { AccessToken: expect.any(String), ExpiresIn: 3600, TokenType: 'Bearer', IdToken: expect.any(String) }, ChallengeParameters: {} });
    // The id token is shaped like Cognito's: a JWT for the app client, `token_use: id`.
    const claims = JSON.parse(Buffer.from(String(answer.AuthenticationResult['IdToken']).split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ aud: fields.clientId, token_use: 'id' });
  });

  it("answers 403 OPERATION_NOT_SHARED for an operation the grower has not shared: org_not_connected, until shared on the share page", async () => {
    const { id, fields, ctx, credential } = await connect();
    const account = (await sandbox.control('GET', `/accounts/${id}`)).body as { organizations: { number: string; connected: boolean }[] };
    const unshared = account.organizations.find((o) => !o.connected)!;
    const error = await failure(panoramaAdapter.validate(credential(undefined, { organizationCode: unshared.number }), ctx));
    expect(error).toMatchObject({ errorClass: 'org_not_connected', status: 403 });

    // The grower shares it from the Share Initiation URL (the sandbox's sharingUrlId is shown on the account details page).
    const tokens = await panoramaAdapter.refresh(credential(), ctx);
    const details = await fetch(`${sandbox.sandboxBaseUrl}/panorama${PANORAMA_ACCOUNT_DETAILS_PATH}`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    const { sharingUrlId, shareInitiationUrl } = (await details.json()) as { sharingUrlId: string; shareInitiationUrl: string };
    const shareUrl = panoramaShareUrl(ctx.baseUrl, { sharingUrlId, state: 'state-1', callbackUrl: 'http://127.0.0.1:9/callback' });
    expect(shareUrl.split('?')[0]).toBe(shareInitiationUrl);
    const page = await fetch(shareUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`value="${unshared.number}"`);
    const shared = await fetch(shareUrl.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ organizationCode: unshared.number, state: 'state-1', redirect_uri: 'http://127.0.0.1:9/callback' }), redirect: 'manual' });
    expect(shared.status).toBe(302);
    const location = new URL(shared.headers.get('location')!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ organizationCode: unshared.number, sharingUrlId, state: 'state-1' });
    await expect(getPanoramaOperation(ctx, tokens.accessToken, unshared.number)).resolves.toMatchObject({ organizationCode: unshared.number });
    expect(fields.organizationCode).not.toBe(unshared.number);
  });

  it('answers 404 for an unknown operation: not_found', async () => {
    const { ctx, credential } = await connect();
    expect((await failure(panoramaAdapter.validate(credential(undefined, { organizationCode: 'OP-NOPE' }), ctx))).errorClass).toBe('not_found');
  });

  it('hands over the refresh token of a password login when the operation check then fails', async () => {
    const { fields, ctx } = await connect();
    const { refreshToken: _posted, ...withoutRefreshToken } = fields;
    const error = await failure(panoramaAdapter.validate({ id: 'c', environment: 'STAGE', fields: { ...withoutRefreshToken, organizationCode: 'OP-NOPE' }, tokens: undefined }, ctx));
    expect(error.errorClass).toBe('not_found');
    expect(error.tokens?.refreshToken).toMatch(/^sbx_rt_/);
  });

  it('answers 401 once the access token is an hour old: auth_expired', async () => {
    const { fields, ctx, credential } = await connect();
    const tokens = await panoramaAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS + 1_000);
    expect(await failure(getPanoramaOperation(ctx, tokens.accessToken, fields.organizationCode))).toMatchObject({ errorClass: 'auth_expired', status: 401 });
    await expect(panoramaAdapter.validate(credential(tokens), ctx)).resolves.toBeDefined();
  });

  it('takes the operations scope away with limitedPermission: forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    expect(await failure(panoramaAdapter.validate(credential(), ctx))).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await panoramaAdapter.validate(credential(), ctx);
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const error = await failure(panoramaAdapter.validate(credential(), ctx));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 2, rateLimited: 1 });
  });

  it("fails Cognito with InternalErrorException under errorRate 1: retry_later", async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { errorRate: 1 });
    const error = await failure(panoramaAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'retry_later', status: 500 });
    expect(error.reason).toContain('InternalErrorException');
  });

  it('slows every answer by the latency fault', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { latencyMs: 150 });
    const started = performance.now();
    await panoramaAdapter.validate(credential(), ctx); // one Cognito call, one API call
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 150 - 10);
  });

  it("validates in the empty scenario: the grower's own operation is always there", async () => {
    const { ctx, credential } = await connect({ scenario: 'empty' });
    await expect(panoramaAdapter.validate(credential(), ctx)).resolves.toBeDefined();
  });

  it('records every exchange redacted: no password, refresh, access or id token appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect();
    const first = await panoramaAdapter.validate(credential(), ctx);
    const login = await panoramaPasswordLogin(ctx, fields);
    await getPanoramaOperation(ctx, login.accessToken, fields.organizationCode);
    await failure(panoramaPasswordLogin(ctx, { ...fields, password: 'a-wrong-password-1234' }));
    expect(exchanges).toHaveLength(5);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.password, fields.refreshToken, first!.accessToken, login.accessToken, login.refreshToken!, 'a-wrong-password-1234']) expect(recorded).not.toContain(secret);
    // The id token is redacted by its name, though the adapter never holds it.
    expect(JSON.parse(exchanges[2]!.response!.body!).AuthenticationResult).toMatchObject({ IdToken: '[redacted]', AccessToken: '[redacted]', RefreshToken: '[redacted]', ExpiresIn: 3600 });
    expect(JSON.parse(exchanges[2]!.request.body!)).toEqual({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: fields.clientId, AuthParameters: { USERNAME: fields.username, PASSWORD: '[redacted]' } });
  });
});

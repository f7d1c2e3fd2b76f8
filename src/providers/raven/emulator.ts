/**
 * Raven (AgSync) served locally (providers.md 7.8): an IdentityServer3-style OpenID Connect
 * provider under `/core` (discovery, authorize, token with a 15-day sliding refresh token,
 * revocation) and the fields API under `/api` with growers, farms and fields whose boundaries are
 * WKT, as the `field_changed` webhook shows them. Paths are the production ones (`client.ts`),
 * below `/sandbox/raven`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatedField, EmulatedOrganization, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { RAVEN_FIELDS_PATHS, RAVEN_FIELDS_SCOPE, RAVEN_HOSTS, RAVEN_IDENTITY_PATHS, RAVEN_SCOPES, type RavenCredentialFields } from './client.js';

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it. */
function sandboxPathOf(urls: HostUrls): string {
  return urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
}

const IDENTITY = sandboxPathOf(RAVEN_HOSTS.identity);
const FIELDS = sandboxPathOf(RAVEN_HOSTS.fields);

/** ASP.NET Web API's fixed answer to a request without a valid bearer token [I]. */
const DENIED = 'Authorization has been denied for this request.';

/**
 * The boundary of the `field_changed` sample (providers.md 7.7, verbatim): about 3.3 acres near
 * Dubuque, Iowa. Sandbox fields get it moved by whole grid steps, so no two overlap.
 */
const SAMPLE_RING: readonly (readonly [number, number])[] = [
  [-91.055843383174, 42.497741575417],
  [-91.055714637139, 42.498354629448],
  [-91.055221110681, 42.498584028767],
  [-91.054105311731, 42.498358584616],
  [-91.054384261462, 42.497872097102],
  [-91.054110676146, 42.497713888964],
  [-91.0548992456, 42.497381650572],
  [-91.055264026023, 42.49751612823],
  [-91.055628806447, 42.497551725208],
  [-91.055585891105, 42.497674336867],
  [-91.055843383174, 42.497741575417],
];
/** Grid steps between sandbox fields, in degrees (about 820 m east and 670 m north at this latitude). */
const STEP_LON = 0.01;
const STEP_LAT = 0.006;
const FIELDS_PER_ROW = 25;

/** The `ProjectionWkt` of the sample (providers.md 7.7, verbatim). */
const WGS84_PROJECTION_WKT =
  'GEOGCS["WGS 84", DATUM["World Geodetic System 1984", SPHEROID["WGS 84", 6378137, 298.257223563, AUTHORITY["EPSG", "7030"]], AUTHORITY["EPSG", "6326"]], PRIMEM["Greenwich", 0, AUTHORITY["EPSG", "8901"]], UNIT["degree", 0.0174532925199433, AUTHORITY["EPSG", "9102"]], AUTHORITY["EPSG", "4326"]]';

/** The Raven emulator. */
export const ravenEmulator: ProviderEmulator<RavenCredentialFields> = {
  oauth: {
    // [I] IdentityServer3's default access-token lifetime; AgSync publishes none.
    accessTokenSeconds: 3600,
    // "15 day sliding refresh token time. If the refresh token is not used in 15 days, it is
    // marked as invalid" (providers.md 7.1). The "1 year absolute expiration" is not modelled:
    // no sandbox account lives that long.
    refreshTokenSeconds: 15 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    // [I] Not rotated (IdentityServer's `ReUse`): the documented sliding window is about reusing
    // the same token, and Furrow stores a rotated one anyway.
    scopes: RAVEN_SCOPES,
    essentialScope: RAVEN_FIELDS_SCOPE,
  },

  credentialBody: (account, grant) => ({
    clientId: account.app.clientId,
    clientSecret: account.app.clientSecret,
    refreshToken: grant.refreshToken,
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    // [I] ASP.NET's `{ "Message" }` body on the fields API, RFC 6749's on the token endpoint.
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: { Message: 'Too many requests; retry after the time in Retry-After.' } };
    if (fault.kind === 'token') return { status: 503, headers, body: { error: 'temporarily_unavailable', error_description: 'The sandbox injected a server error.' } };
    return { status: 503, headers, body: { Message: 'The sandbox injected a server error.' } };
  },

  async routes(app, ctx) {
    const byClient = (request: FastifyRequest) => {
      const credentials = clientCredentialsOf(request);
      return credentials === undefined ? undefined : ctx.accountByClientId(credentials.clientId);
    };
    const byBearer = (request: FastifyRequest) => ctx.accountByBearer(request.headers.authorization);

    app.get(`${IDENTITY}${RAVEN_IDENTITY_PATHS.discovery}`, async (request) => {
      const issuer = ctx.publicUrl(request, IDENTITY);
      return {
        issuer,
        authorization_endpoint: `${issuer}${RAVEN_IDENTITY_PATHS.authorize}`,
        token_endpoint: `${issuer}${RAVEN_IDENTITY_PATHS.token}`,
        revocation_endpoint: `${issuer}${RAVEN_IDENTITY_PATHS.revocation}`,
        scopes_supported: RAVEN_SCOPES,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
      };
    });

    ctx.registerAuthorizePage(app, `${IDENTITY}${RAVEN_IDENTITY_PATHS.authorize}`, { providerName: 'Raven AgSync' });

    app.post(`${IDENTITY}${RAVEN_IDENTITY_PATHS.token}`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const account = authenticateClient(ctx, request);
      // [I] IdentityServer3 answers every token error, a failed client authentication too, with 400.
      if (account === undefined) return oauthError(reply, 'invalid_client', 'Unknown client or wrong client secret (client_secret_post or client_secret_basic).');
      const form = formOf(request.body);
      const outcome = ctx.redeemTokenRequest(account, form);
      if (!outcome.ok) return oauthError(reply, outcome.error, outcome.description);
      const { tokens } = outcome;
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
        access_token: tokens.accessToken,
        expires_in: tokens.expiresIn,
        token_type: 'Bearer',
        refresh_token: tokens.refreshToken,
        // [I] Leaf shows Raven's granted scopes (tokenMetadata, leaf-api.md 3.3), so the answer carries them.
        scope: tokens.scopes.join(' '),
      });
    });

    app.post(`${IDENTITY}${RAVEN_IDENTITY_PATHS.revocation}`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const account = authenticateClient(ctx, request);
      if (account === undefined) return oauthError(reply, 'invalid_client', 'Unknown client or wrong client secret.');
      const token = formOf(request.body)['token'];
      if (token === undefined) return oauthError(reply, 'invalid_request', 'The token parameter is required.');
      ctx.revokeToken(account, token);
      // RFC 7009 section 2.2: 200 whether or not the token was known.
      return reply.code(200).send();
    });

    app.get(`${FIELDS}${RAVEN_FIELDS_PATHS.growers}`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      return reply.send(account.organizations.map(growerJson));
    });

    app.get<{ Params: { growerId: string } }>(`${FIELDS}${RAVEN_FIELDS_PATHS.farmsOfGrower(':growerId')}`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const organization = account.organizations.find((o) => o.id === request.params.growerId);
      if (organization === undefined) return reply.code(404).send({ Message: `No grower ${request.params.growerId}.` });
      return reply.send([farmJson(organization)]);
    });

    app.get<{ Params: { farmId: string } }>(`${FIELDS}${RAVEN_FIELDS_PATHS.fieldsOfFarm(':farmId')}`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const organization = account.organizations.find((o) => farmIdOf(o) === request.params.farmId);
      if (organization === undefined) return reply.code(404).send({ Message: `No farm ${request.params.farmId}.` });
      const fields = account.fields.map((field, index) => ({ field, index })).filter(({ field }) => field.organizationId === organization.id);
      return reply.send(fields.map(({ field, index }) => fieldJson(field, index, farmIdOf(organization))));
    });
  },
};

/**
 * [I] AgSync's hierarchy as the sandbox builds it from an account: each organization is a grower
 * (its number is the webhook's integer `OrganizationId`), with one farm holding its fields.
 */
function growerJson(organization: EmulatedOrganization) {
  return { Id: organization.id, OrganizationId: Number(organization.number), Name: organization.name, Status: true };
}

function farmJson(organization: EmulatedOrganization) {
  return { Id: farmIdOf(organization), GrowerId: organization.id, Name: 'Home Farm', Status: true };
}

/** A field as the `field_changed` sample shows it (providers.md 7.7), with its one active (`MASTER`) boundary. */
function fieldJson(field: EmulatedField, index: number, farmId: string) {
  const ring = shiftedRing(index);
  return {
    Id: field.id,
    FarmId: farmId,
    Name: field.name,
    Boundary: {
      Id: derivedUuid('boundary', field.id),
      FieldId: field.id,
      Name: 'MASTER',
      Status: true,
      Wkt: multiPolygonWkt(ring),
      ProjectionWkt: WGS84_PROJECTION_WKT,
      Area: Math.round(ringAcres(ring) * 10) / 10,
      BillableArea: null,
      Notes: null,
      // The sample's .NET `default(DateTime)`, kept as AgSync sends it.
      CreatedDateTime: '0001-01-01T00:00:00',
      OrderedArea: Math.round(ringAcres(ring) * 10) / 10,
    },
    Status: true,
    BillableArea: null,
    Notes: null,
    GeopoliticalInformation: null,
    CreatedDateTime: '0001-01-01T00:00:00',
    ModifiedDateTime: '2024-04-26T19:32:06.1439498+00:00',
    PartnerFieldId: null,
  };
}

/** The sample ring moved `index` grid steps (row by row), so every field of an account has its own place. */
function shiftedRing(index: number): [number, number][] {
  const dx = (index % FIELDS_PER_ROW) * STEP_LON;
  const dy = Math.floor(index / FIELDS_PER_ROW) * STEP_LAT;
  return SAMPLE_RING.map(([lon, lat]) => [round12(lon + dx), round12(lat + dy)]);
}

/** `MULTIPOLYGON(((x y,...)))` as the sample writes it: no space after commas, longitude first. */
function multiPolygonWkt(ring: readonly (readonly [number, number])[]): string {
  return `MULTIPOLYGON(((${ring.map(([lon, lat]) => `${lon} ${lat}`).join(',')})))`;
}

/**
 * The area of a small lon/lat ring in acres: the shoelace formula on an equirectangular
 * projection at the ring's latitude, well under 0.1 % off for a field of a few hundred metres.
 */
function ringAcres(ring: readonly (readonly [number, number])[]): number {
  const metresPerDegree = (Math.PI / 180) * 6_371_008.8;
  const [lon0, lat0] = ring[0]!;
  const scaleX = Math.cos((lat0 * Math.PI) / 180) * metresPerDegree;
  // Coordinates relative to the first vertex, in metres, so the products stay small.
  const points = ring.map(([lon, lat]) => [(lon - lon0) * scaleX, (lat - lat0) * metresPerDegree] as const);
  let twiceArea = 0;
  for (let i = 0; i < points.length - 1; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[i + 1]!;
    twiceArea += x1 * y2 - x2 * y1;
  }
  return Math.abs(twiceArea) / 2 / 4046.8564224;
}

function farmIdOf(organization: EmulatedOrganization): string {
  return derivedUuid('farm', organization.id);
}

/** A stable UUID-shaped id derived from another, so the same account always shows the same hierarchy. */
function derivedUuid(kind: string, id: string): string {
  const hex = crypto.createHash('sha256').update(`${kind}:${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((Number.parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function round12(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

/** The account of a valid bearer token with the fields scope, or `undefined` after answering 401/403. */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok) {
    reply.code(401).header('www-authenticate', 'Bearer').send({ Message: DENIED });
    return undefined;
  }
  if (!check.scopes.includes(RAVEN_FIELDS_SCOPE)) {
    reply.code(403).send({ Message: `The access token lacks the ${RAVEN_FIELDS_SCOPE} scope.` });
    return undefined;
  }
  return check.account;
}

/** Client credentials from the form body (`client_secret_post`) or, raw, from Basic (IdentityServer3 does not form-decode it). */
function clientCredentialsOf(request: FastifyRequest): { clientId: string; clientSecret: string | undefined } | undefined {
  const form = formOf(request.body);
  if (form['client_id'] !== undefined) return { clientId: form['client_id'], clientSecret: form['client_secret'] };
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}

function authenticateClient(ctx: EmulatorContext, request: FastifyRequest): EmulatedAccount | undefined {
  const credentials = clientCredentialsOf(request);
  if (credentials?.clientSecret === undefined) return undefined;
  const account = ctx.accountByClientId(credentials.clientId);
  return account !== undefined && sameText(credentials.clientSecret, account.app.clientSecret) ? account : undefined;
}

function sameText(a: string, b: string): boolean {
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(a).digest(), crypto.createHash('sha256').update(b).digest());
}

/** RFC 6749 section 5.2's error body, always with 400 as IdentityServer3 answers. */
function oauthError(reply: FastifyReply, error: string, description: string) {
  return reply.code(400).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error, error_description: description });
}

function formOf(body: unknown): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return form;
  for (const [name, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    form[name] = typeof first === 'string' ? first : undefined;
  }
  return form;
}

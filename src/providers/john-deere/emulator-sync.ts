/**
 * What a sync reads from John Deere, served locally: clients, farms, fields and boundaries of an
 * organization (providers.md 1.4, 1.5), its files with metadata and downloads in ranges (1.6),
 * `x-deere-signature` change tracking on those lists (1.2), and the Data Subscription Service's
 * `/eventSubscriptions` with deliveries POSTed to the subscriber (1.7).
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatedBoundary, EmulatedChange, EmulatedMachineFile, EmulatedOperationData, EmulatedOrganization, EmulatorContext } from '../provider-emulator.js';
import { DEERE_MEDIA_TYPE } from './client.js';
import { API, COLLECTION_PAGE_SIZE, MAX_PAGE_SIZE, authorizeApi, deereErrors, link, pageUrl, sendPage, stringOf } from './emulator.js';

/** "Only files smaller than 50 MB can be downloaded at once" (providers.md 1.6). */
export const DEERE_WHOLE_DOWNLOAD_LIMIT = 50 * 1024 * 1024;
/** [I] How long a download's pre-signed URL lives ("valid for no less than one hour", providers.md 1.6 on /fieldOps). */
const BLOB_URL_SECONDS = 3600;
/** [I] Where pre-signed downloads are served; Deere's are another host's, unauthenticated. */
const BLOBS = '/blobs';
/** [I] Deliveries tried this often, a second apart and doubling, when the callback fails (1.9: the retry policy was not captured). */
const DELIVERY_ATTEMPTS = 3;
/** [I] Event types for the sandbox's changes; Deere's catalogue was not captured (providers.md 1.7). */
export const DEERE_EVENT_TYPES = { file_added: 'fileUpload', boundary_changed: 'boundary' } as const;
const KNOWN_EVENT_TYPES = new Set<string>([...Object.values(DEERE_EVENT_TYPES), 'fieldOperation', 'heartbeat']);
/** The subscription token's pattern (providers.md 1.7). */
const TOKEN_PATTERN = /^[A-Za-z0-9+/=]{0,256}$/;

/** Per-process key of the pre-signed URLs: they need to survive only as long as the process. */
const BLOB_KEY = crypto.randomBytes(32);

interface Subscription {
  id: string;
  eventTypeId: string;
  filters: { key: string; values: string[] }[];
  uri: string;
  token: string;
  displayName: string | undefined;
  clientKey: string;
  /** The emulator's public API base as the subscriber reached it, for `targetResource` links. */
  apiBase: string;
  createdTime: string;
}

/**
 * [I] How many times an export answers 202 before its 307: enough for a client to show it polls.
 * A sandbox account may set its own (`EmulatedOperationData.exportPendingAnswers`).
 */
export const EXPORT_PENDING_ANSWERS = 2;
const exportAttempts = new WeakMap<EmulatedOperationData, Map<string, number>>();

function exportAttemptsOf(operation: EmulatedOperationData): Map<string, number> {
  let attempts = exportAttempts.get(operation);
  if (attempts === undefined) {
    attempts = new Map();
    exportAttempts.set(operation, attempts);
  }
  return attempts;
}

/** Deere's operation types (providers.md 1.6: `fieldOperationType=APPLICATION|HARVEST|SEEDING|TILLAGE`, lower case in bodies). */
function fieldOperationJson(ctx: EmulatorContext, request: FastifyRequest, file: EmulatedMachineFile) {
  const created = Date.parse(file.createdTime);
  const self = `${API}/fieldOperations/${file.id}`;
  return {
    '@type': 'FieldOperation',
    fieldOperationType: file.operation,
    adaptMachineType: 'unknown',
    cropSeason: file.createdTime.slice(0, 4),
    modifiedTime: file.modifiedTime,
    startDate: new Date(created - 3_600_000).toISOString(),
    endDate: new Date(created - 600_000).toISOString(),
    id: file.id,
    links: [link('self', ctx.publicUrl(request, self)), link('shapeFile', ctx.publicUrl(request, self)), link('shapeFileAsync', ctx.publicUrl(request, `${API}/fieldOps/${file.id}`))],
  };
}

/** Subscriptions per account, kept by the account's operation data (one object for the account's life). */
const subscriptionsByAccount = new WeakMap<EmulatedOperationData, Map<string, Subscription>>();

/** Registers the sync routes on the emulator's scope. */
export async function registerSyncRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const byBearer = (request: FastifyRequest) => ctx.accountByBearer(request.headers.authorization);
  type OrgRoute = { Params: { orgId: string } };

  /** The organization of an org-scoped route, or `undefined` after answering 401/403/404. */
  const organizationOf = (request: FastifyRequest<OrgRoute>, reply: FastifyReply): { account: EmulatedAccount; organization: EmulatedOrganization } | undefined => {
    const account = authorizeApi(ctx, request, reply);
    if (account === undefined) return undefined;
    const organization = account.organizations.find((o) => o.number === request.params.orgId);
    if (organization === undefined) {
      void reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No organization ${request.params.orgId}.`));
      return undefined;
    }
    // "Skipping this step causes 403 Forbidden on all organization-scoped endpoints" (providers.md 1.1).
    if (!organization.connected) {
      void reply.code(403).type(DEERE_MEDIA_TYPE).send(deereErrors(`The application has no access to organization ${organization.number}; the grower must connect it.`));
      return undefined;
    }
    return { account, organization };
  };

  /** The revision an `x-deere-signature` request header stands for: undefined for a full listing, null when unreadable. */
  const signatureOf = (request: FastifyRequest): number | undefined | null => {
    const header = request.headers['x-deere-signature'];
    if (typeof header !== 'string' || header.trim() === '') return undefined;
    return decodeSignature(header.trim());
  };
  const badSignature = (reply: FastifyReply) => reply.code(400).type(DEERE_MEDIA_TYPE).send(deereErrors('The x-deere-signature is not one this API issued; list again without it.'));

  app.get<OrgRoute>(`${API}/organizations/:orgId/clients`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const found = organizationOf(request, reply);
    if (found === undefined) return reply;
    const { account, organization } = found;
    const base = `${API}/organizations/${organization.number}`;
    const values = account.operation.growers
      .filter((g) => g.organizationId === organization.id)
      .map((g) => ({
        '@type': 'Client',
        name: g.name,
        id: g.id,
        archived: false,
        links: [link('self', ctx.publicUrl(request, `${base}/clients/${g.id}`)), link('fields', ctx.publicUrl(request, `${base}/clients/${g.id}/fields`)), link('farms', ctx.publicUrl(request, `${base}/clients/${g.id}/farms`)), link('owningOrganization', ctx.publicUrl(request, base))],
      }));
    return sendPage(ctx, request, reply, `${base}/clients`, values, COLLECTION_PAGE_SIZE);
  });

  app.get<OrgRoute>(`${API}/organizations/:orgId/farms`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const found = organizationOf(request, reply);
    if (found === undefined) return reply;
    const { account, organization } = found;
    const base = `${API}/organizations/${organization.number}`;
    const values = account.operation.farms
      .filter((f) => f.organizationId === organization.id)
      .map((f) => ({
        '@type': 'Farm',
        name: f.name,
        // The farm's client as an attribute, as in Deere's farm sample (providers.md 1.4), without its stray comma.
        clientUri: ctx.publicUrl(request, `${base}/clients/${f.growerId}`),
        archived: false,
        id: f.id,
        links: [link('self', ctx.publicUrl(request, `${base}/farms/${f.id}`)), link('fields', ctx.publicUrl(request, `${base}/farms/${f.id}/fields`)), link('clients', ctx.publicUrl(request, `${base}/farms/${f.id}/clients`)), link('owningOrganization', ctx.publicUrl(request, base))],
      }));
    return sendPage(ctx, request, reply, `${base}/farms`, values, COLLECTION_PAGE_SIZE);
  });

  app.get<OrgRoute>(`${API}/organizations/:orgId/fields`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const found = organizationOf(request, reply);
    if (found === undefined) return reply;
    const { account, organization } = found;
    const since = signatureOf(request);
    if (since === null) return badSignature(reply);
    const operation = account.operation;
    const base = `${API}/organizations/${organization.number}`;
    const embed = new Set((stringOf((request.query as Record<string, unknown>)['embed']) ?? '').split(',').map((e) => e.trim()));
    const farms = new Map(operation.farms.map((f) => [f.id, f]));
    const growers = new Map(operation.growers.map((g) => [g.id, g]));
    const values = account.fields
      .filter((field) => field.organizationId === organization.id && (since === undefined || operation.fieldRevision(field.id) > since))
      .map((field) => {
        const boundaries = operation.boundaries(field.id);
        const active = boundaries.at(-1);
        const self = `${base}/fields/${field.id}`;
        const value: Record<string, unknown> = {
          '@type': 'Field',
          name: field.name,
          archived: false,
          id: field.id,
          lastModifiedTime: active?.modifiedTime,
          links: [
            link('self', ctx.publicUrl(request, self)),
            link('clients', ctx.publicUrl(request, `${self}/clients`)),
            link('farms', ctx.publicUrl(request, `${self}/farms`)),
            link('owningOrganization', ctx.publicUrl(request, base)),
            link('boundaries', ctx.publicUrl(request, `${self}/boundaries`)),
            ...(active === undefined ? [] : [link('activeBoundary', ctx.publicUrl(request, `${self}/boundaries/${active.id}`))]),
          ],
        };
        // [I] `embed` is a documented parameter of the fields list (providers.md 1.4); the embedded
        // collections' shape (`{ values }` under the embed's name) is our guess.
        const farm = farms.get(field.farmId);
        const grower = growers.get(field.growerId);
        if (embed.has('farms') && farm !== undefined) value['farms'] = { values: [{ '@type': 'Farm', name: farm.name, id: farm.id, archived: false }] };
        if (embed.has('clients') && grower !== undefined) value['clients'] = { values: [{ '@type': 'Client', name: grower.name, id: grower.id, archived: false }] };
        return value;
      });
    reply.header('x-deere-signature', encodeSignature(operation.revision()));
    return sendPage(ctx, request, reply, `${base}/fields`, values, COLLECTION_PAGE_SIZE);
  });

  type FieldRoute = { Params: { orgId: string; fieldId: string } };
  app.get<FieldRoute>(`${API}/organizations/:orgId/fields/:fieldId/boundaries`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const found = organizationOf(request, reply);
    if (found === undefined) return reply;
    const { account, organization } = found;
    const field = account.fields.find((f) => f.id === request.params.fieldId && f.organizationId === organization.id);
    if (field === undefined) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No field ${request.params.fieldId} in organization ${organization.number}.`));
    const base = `${API}/organizations/${organization.number}`;
    const values = account.operation.boundaries(field.id).map((b) => boundaryJson(ctx, request, base, b));
    return sendPage(ctx, request, reply, `${base}/fields/${field.id}/boundaries`, values, COLLECTION_PAGE_SIZE);
  });

  app.get<OrgRoute>(`${API}/organizations/:orgId/files`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const found = organizationOf(request, reply);
    if (found === undefined) return reply;
    const { account, organization } = found;
    const since = signatureOf(request);
    if (since === null) return badSignature(reply);
    const query = request.query as Record<string, unknown>;
    const offset = Math.max(0, Number.parseInt(stringOf(query['pageOffset']) ?? '0', 10) || 0);
    const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Number.parseInt(stringOf(query['itemLimit']) ?? String(COLLECTION_PAGE_SIZE), 10) || COLLECTION_PAGE_SIZE));
    // The signature is taken before the page is read: a change while listing is in the next listing.
    const signature = encodeSignature(account.operation.revision());
    // Data sent wirelessly from the machine is a field operation only, not a file (see `listFiles`).
    const { total, files } = account.operation.listFiles({ organizationId: organization.id, transfer: 'upload', afterRevision: since, offset, limit: size });
    const path = `${API}/organizations/${organization.number}/files`;
    const links = [link('self', ctx.publicUrl(request, pageUrl(path, query, offset, size)))];
    if (offset + size < total) links.push(link('nextPage', ctx.publicUrl(request, pageUrl(path, query, offset + size, size))));
    return reply
      .header('x-deere-signature', signature)
      .type(DEERE_MEDIA_TYPE)
      .send({ links, total, values: files.map((file) => fileJson(ctx, request, organization, file)) });
  });

  type FileRoute = { Params: { fileId: string } };
  app.get<FileRoute>(`${API}/files/:fileId`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const accept = request.headers.accept ?? '';
    const wantsBytes = /application\/zip|application\/octet-stream/i.test(accept);
    // Metadata is asked with Deere's media type; the bytes with a zip or octet-stream Accept (providers.md 1.6).
    const account = wantsBytes ? authorizeBytes(ctx, request, reply) : authorizeApi(ctx, request, reply);
    if (account === undefined) return reply;
    const file = account.operation.file(request.params.fileId);
    const organization = file === undefined ? undefined : account.organizations.find((o) => o.id === file.organizationId);
    if (file === undefined || organization === undefined) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No file ${request.params.fileId}.`));
    if (!organization.connected) return reply.code(403).type(DEERE_MEDIA_TYPE).send(deereErrors(`The application has no access to organization ${organization.number}; the grower must connect it.`));
    if (!wantsBytes) return reply.type(DEERE_MEDIA_TYPE).send(fileJson(ctx, request, organization, file));
    const query = request.query as Record<string, unknown>;
    const range = request.headers.range;
    const offset = stringOf(query['offset']);
    const size = stringOf(query['size']);
    const ranged = range !== undefined || (offset !== undefined && offset !== '-1');
    if (!ranged && file.size >= DEERE_WHOLE_DOWNLOAD_LIMIT) {
      return reply.code(400).type(DEERE_MEDIA_TYPE).send(deereErrors(`File ${file.number} is ${file.size} bytes; files of 50 MB or more are downloaded in chunks with a Range header or offset and size.`));
    }
    // [I] The bytes come from a pre-signed URL on another host, as Deere's shapefile exports do
    // (307, "Do not apply OAuth signing", providers.md 1.6); the Range or offset/size go along.
    const expires = Math.floor(Date.now() / 1000) + BLOB_URL_SECONDS;
    const blobPath = `${BLOBS}/${encodeURIComponent(account.app.clientId)}/files/${file.number}`;
    const params = new URLSearchParams({ expires: String(expires), signature: signBlob(blobPath, expires) });
    if (range === undefined && offset !== undefined) params.set('offset', offset);
    if (range === undefined && size !== undefined) params.set('size', size);
    return reply.code(307).header('location', ctx.publicUrl(request, `${blobPath}?${params.toString()}`)).send();
  });

  type BlobRoute = { Params: { clientId: string; kind: string; number: string }; Querystring: Record<string, string | undefined> };
  app.get<BlobRoute>(`${BLOBS}/:clientId/:kind/:number`, { preHandler: ctx.guard('api', (request) => ctx.accountByClientId((request.params as { clientId: string }).clientId)) }, async (request, reply) => {
    const account = ctx.accountByClientId(request.params.clientId);
    const { kind } = request.params;
    const blobPath = `${BLOBS}/${encodeURIComponent(request.params.clientId)}/${kind}/${request.params.number}`;
    const expires = Number(request.query.expires);
    const signature = request.query.signature ?? '';
    if (account === undefined || !Number.isInteger(expires) || !sameSignature(signature, signBlob(blobPath, expires))) {
      return reply.code(403).type('application/xml').send('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    }
    if (expires * 1000 < Date.now()) return reply.code(403).type('application/xml').send('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    const file = account.operation.file(request.params.number);
    if (file === undefined || (kind !== 'files' && kind !== 'fieldOps')) return reply.code(404).type('application/xml').send('<Error><Code>NoSuchKey</Code></Error>');
    // A field operation's export is its data as a shapefile (providers.md 1.6, `shapeFileAsync`).
    const made = account.operation.fileBytes(file, kind === 'fieldOps' ? 'shapefile' : undefined);
    const bytes = Buffer.from(made.buffer, made.byteOffset, made.byteLength);
    const wanted = requestedRange(request.headers.range, request.query.offset, request.query.size, bytes.length);
    if (wanted === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${bytes.length}`).send();
    const filename = kind === 'fieldOps' ? `${file.id}.zip` : file.name.replace(/"/g, '');
    reply.header('accept-ranges', 'bytes').type('application/zip').header('content-disposition', `attachment; filename="${filename}"`);
    if (wanted === undefined) return reply.code(200).send(bytes);
    return reply.code(206).header('content-range', `bytes ${wanted.start}-${wanted.end}/${bytes.length}`).send(bytes.subarray(wanted.start, wanted.end + 1));
  });

  // Field operations and their asynchronous shapefile export (providers.md 1.6).
  app.get<FieldRoute>(`${API}/organizations/:orgId/fields/:fieldId/fieldOperations`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const found = organizationOf(request, reply);
    if (found === undefined) return reply;
    const { account, organization } = found;
    const field = account.fields.find((f) => f.id === request.params.fieldId && f.organizationId === organization.id);
    if (field === undefined) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No field ${request.params.fieldId} in organization ${organization.number}.`));
    const since = signatureOf(request);
    if (since === null) return badSignature(reply);
    const signature = encodeSignature(account.operation.revision());
    const { files } = account.operation.listFiles({ fieldId: field.id, transfer: 'wireless', afterRevision: since, offset: 0, limit: Number.MAX_SAFE_INTEGER });
    const values = files.map((file) => fieldOperationJson(ctx, request, file));
    reply.header('x-deere-signature', signature);
    return sendPage(ctx, request, reply, `${API}/organizations/${organization.number}/fields/${field.id}/fieldOperations`, values, COLLECTION_PAGE_SIZE);
  });

  type OperationRoute = { Params: { operationId: string } };
  app.get<OperationRoute>(`${API}/fieldOps/:operationId`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const account = authorizeBytes(ctx, request, reply);
    if (account === undefined) return reply;
    const file = account.operation.file(request.params.operationId);
    const organization = file === undefined ? undefined : account.organizations.find((o) => o.id === file.organizationId);
    if (file === undefined || file.id !== request.params.operationId || organization === undefined) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No field operation ${request.params.operationId}.`));
    if (!organization.connected) return reply.code(403).type(DEERE_MEDIA_TYPE).send(deereErrors(`The application has no access to organization ${organization.number}; the grower must connect it.`));
    // "202 Accepted – … repeat the same API call until you get an HTTP 307" (providers.md 1.6).
    const attempts = exportAttemptsOf(account.operation);
    const seen = (attempts.get(file.id) ?? 0) + 1;
    attempts.set(file.id, seen);
    if (seen <= (account.operation.exportPendingAnswers ?? EXPORT_PENDING_ANSWERS)) return reply.code(202).type(DEERE_MEDIA_TYPE).send();
    const expires = Math.floor(Date.now() / 1000) + BLOB_URL_SECONDS;
    const blobPath = `${BLOBS}/${encodeURIComponent(account.app.clientId)}/fieldOps/${file.id}`;
    const params = new URLSearchParams({ expires: String(expires), signature: signBlob(blobPath, expires) });
    return reply.code(307).header('location', ctx.publicUrl(request, `${blobPath}?${params.toString()}`)).send();
  });

  // Data Subscription Service (providers.md 1.7).
  app.post(`${API}/eventSubscriptions`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply);
    if (account === undefined) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const target = body['targetEndpoint'] as { targetType?: unknown; uri?: unknown } | undefined;
    const problems: { field: string; message: string; invalidValue?: unknown }[] = [];
    const eventTypeId = body['eventTypeId'];
    if (typeof eventTypeId !== 'string' || !KNOWN_EVENT_TYPES.has(eventTypeId)) problems.push({ field: 'eventTypeId', message: `must be one of ${[...KNOWN_EVENT_TYPES].join(', ')}`, invalidValue: eventTypeId });
    if (target?.targetType !== 'https' || typeof target.uri !== 'string' || !/^https?:\/\//i.test(target.uri)) problems.push({ field: 'targetEndpoint', message: 'must be { targetType: "https", uri: <absolute URL> }' });
    const token = body['token'] ?? '';
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) problems.push({ field: 'token', message: `must match ${TOKEN_PATTERN.source}` });
    const filters = Array.isArray(body['filters']) ? (body['filters'] as unknown[]) : [];
    const parsedFilters = filters.flatMap((f) => {
      const filter = f as { key?: unknown; values?: unknown };
      return typeof filter.key === 'string' && Array.isArray(filter.values) ? [{ key: filter.key, values: filter.values.map(String) }] : [];
    });
    if (problems.length > 0) return reply.code(400).type(DEERE_MEDIA_TYPE).send({ errors: problems.map((p) => ({ guid: crypto.randomUUID(), message: `${p.field} ${p.message}`, code: 'Invalid', field: p.field, invalidValue: p.invalidValue })) });
    const subscription: Subscription = {
      id: crypto.randomUUID(),
      eventTypeId: eventTypeId as string,
      filters: parsedFilters,
      uri: (target as { uri: string }).uri,
      token: token as string,
      displayName: typeof body['displayName'] === 'string' ? body['displayName'] : undefined,
      clientKey: account.app.clientId,
      apiBase: ctx.publicUrl(request, API),
      createdTime: new Date().toISOString(),
    };
    subscriptionsOf(account).set(subscription.id, subscription);
    const self = ctx.publicUrl(request, `${API}/eventSubscriptions/${subscription.id}`);
    return reply.code(201).header('location', self).type(DEERE_MEDIA_TYPE).send(subscriptionJson(subscription, self));
  });

  app.get(`${API}/eventSubscriptions`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply);
    if (account === undefined) return reply;
    const values = [...subscriptionsOf(account).values()].map((s) => subscriptionJson(s, ctx.publicUrl(request, `${API}/eventSubscriptions/${s.id}`)));
    return sendPage(ctx, request, reply, `${API}/eventSubscriptions`, values, COLLECTION_PAGE_SIZE);
  });

  type SubscriptionRoute = { Params: { id: string } };
  app.get<SubscriptionRoute>(`${API}/eventSubscriptions/:id`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply);
    if (account === undefined) return reply;
    const subscription = subscriptionsOf(account).get(request.params.id);
    if (subscription === undefined) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No event subscription ${request.params.id}.`));
    return reply.type(DEERE_MEDIA_TYPE).send(subscriptionJson(subscription, ctx.publicUrl(request, `${API}/eventSubscriptions/${subscription.id}`)));
  });

  // [I] Deere documents GET and PUT on one subscription (providers.md 1.7); DELETE is the sandbox's way to end one.
  app.delete<SubscriptionRoute>(`${API}/eventSubscriptions/:id`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
    const account = authorizeApi(ctx, request, reply);
    if (account === undefined) return reply;
    if (!subscriptionsOf(account).delete(request.params.id)) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No event subscription ${request.params.id}.`));
    return reply.code(204).send();
  });
}

/** An account's subscriptions; the first call also starts delivering its changes. */
function subscriptionsOf(account: EmulatedAccount): Map<string, Subscription> {
  let subscriptions = subscriptionsByAccount.get(account.operation);
  if (subscriptions === undefined) {
    const created = new Map<string, Subscription>();
    subscriptions = created;
    subscriptionsByAccount.set(account.operation, created);
    const organizations = () => account.organizations;
    account.operation.onChange((change) => {
      for (const subscription of created.values()) deliver(subscription, change, organizations());
    });
  }
  return subscriptions;
}

/**
 * POSTs one event, as the array Deere delivers (providers.md 1.7), to a subscription whose type
 * and `orgId` filter match; tried again on failure, never awaited by the change.
 */
function deliver(subscription: Subscription, change: EmulatedChange, organizations: readonly EmulatedOrganization[]): void {
  if (subscription.eventTypeId !== DEERE_EVENT_TYPES[change.kind]) return;
  const orgNumber = organizations.find((o) => o.id === change.organizationId)?.number;
  if (orgNumber === undefined) return;
  const orgFilter = subscription.filters.find((f) => f.key === 'orgId');
  if (orgFilter !== undefined && !orgFilter.values.includes(orgNumber)) return;
  const targetResource = change.kind === 'file_added' ? `${subscription.apiBase}/files/${change.id}` : `${subscription.apiBase}/organizations/${orgNumber}/fields/${change.fieldId}/boundaries/${change.id}`;
  const body = JSON.stringify([
    {
      clientKey: subscription.clientKey,
      eventTypeId: subscription.eventTypeId,
      targetResource,
      token: subscription.token,
      metadata: [
        { key: 'orgId', value: orgNumber },
        { key: 'fieldId', value: change.fieldId },
      ],
      links: [{ rel: 'self', uri: targetResource }],
    },
  ]);
  void (async () => {
    for (let attempt = 0; attempt < DELIVERY_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
      try {
        const response = await fetch(subscription.uri, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // the subscriber is down: try again
      }
    }
  })();
}

function subscriptionJson(s: Subscription, self: string) {
  return {
    '@type': 'EventSubscription',
    id: s.id,
    eventTypeId: s.eventTypeId,
    filters: s.filters,
    targetEndpoint: { targetType: 'https', uri: s.uri },
    status: 'Active',
    displayName: s.displayName,
    token: s.token,
    createdTime: s.createdTime,
    links: [link('self', self)],
  };
}

/** A boundary in Deere's encoding (providers.md 1.5): rings of `{lat, lon}` points, exterior first. */
function boundaryJson(ctx: EmulatorContext, request: FastifyRequest, base: string, b: EmulatedBoundary) {
  const points = b.coordinates.flat(2);
  const lats = points.map((p) => p[1]!);
  const lons = points.map((p) => p[0]!);
  return {
    '@type': 'Boundary',
    id: b.id,
    name: `Boundary ${b.modifiedTime.slice(0, 10)}`,
    sourceType: 'HandDrawn',
    createdTime: b.modifiedTime,
    modifiedTime: b.modifiedTime,
    area: { '@type': 'MeasurementAsDouble', valueAsDouble: b.areaHectares, unit: 'ha' },
    workableArea: { '@type': 'MeasurementAsDouble', valueAsDouble: b.areaHectares, unit: 'ha' },
    multipolygons: b.coordinates.map((polygon) => ({
      '@type': 'Polygon',
      rings: polygon.map((ring, r) => ({ '@type': 'Ring', points: ring.map(([lon, lat]) => ({ '@type': 'Point', lat, lon })), type: r === 0 ? 'exterior' : 'interior', passable: true })),
    })),
    extent: { '@type': 'Extent', topLeft: { '@type': 'Point', lat: Math.max(...lats), lon: Math.min(...lons) }, bottomRight: { '@type': 'Point', lat: Math.min(...lats), lon: Math.max(...lons) } },
    links: [link('self', ctx.publicUrl(request, `${base}/fields/${b.fieldId}/boundaries/${b.id}`)), link('owningOrganization', ctx.publicUrl(request, base)), link('field', ctx.publicUrl(request, `${base}/fields/${b.fieldId}`))],
    active: b.active,
    irrigated: false,
    archived: false,
    signalType: 'dtiSignalTypeRTK',
  };
}

/** [I] Deere's machine file types are not catalogued; the format names what the zip holds. */
const FILE_FORMATS = { isoxml: 'ISOXML', shapefile: 'Shapefile' } as const;

/** A file's metadata as Deere's sample shows it (providers.md 1.6): sizes and booleans as strings. */
function fileJson(ctx: EmulatorContext, request: FastifyRequest, organization: EmulatedOrganization, file: EmulatedMachineFile) {
  return {
    '@type': 'File',
    id: file.number,
    name: file.name,
    type: 'MACHINE_DATA',
    format: FILE_FORMATS[file.format],
    // [I] Deere's files carry no operation; the sandbox says which, so syncs can test the mapping.
    operationType: file.operation,
    createdTime: file.createdTime,
    modifiedTime: file.modifiedTime,
    nativeSize: String(file.size),
    source: 'Machine',
    transferPending: 'false',
    visibleViaShare: 'owned',
    shared: 'false',
    status: 'TRANSFERABLE',
    archived: 'false',
    new: file.revision > 0 ? 'true' : 'false',
    links: [link('owningOrganization', ctx.publicUrl(request, `${API}/organizations/${organization.number}`)), link('self', ctx.publicUrl(request, `${API}/files/${file.number}`))],
  };
}

/** A bytes request's account, checked like `authorizeApi` without its Accept check. */
function authorizeBytes(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const accept = request.headers.accept;
  try {
    request.headers.accept = DEERE_MEDIA_TYPE;
    return authorizeApi(ctx, request, reply);
  } finally {
    request.headers.accept = accept;
  }
}

/**
 * The bytes asked for: `Range: bytes=a-b` (RFC 9110 section 14.1.2, one range) or Deere's
 * `offset` and `size` (`-1` for all); "if both are used, the request header will take precedence".
 */
export function requestedRange(range: string | undefined, offset: string | undefined, size: string | undefined, length: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  if (range !== undefined) {
    const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (match === null || (match[1] === '' && match[2] === '')) return 'unsatisfiable';
    if (match[1] === '') {
      const suffix = Number(match[2]);
      if (suffix === 0) return 'unsatisfiable';
      return { start: Math.max(0, length - suffix), end: length - 1 };
    }
    const start = Number(match[1]);
    const end = match[2] === '' ? length - 1 : Math.min(Number(match[2]), length - 1);
    return start >= length || end < start ? 'unsatisfiable' : { start, end };
  }
  if (offset === undefined || offset === '-1') return undefined;
  const start = Number(offset);
  const count = size === undefined || size === '-1' ? length - start : Number(size);
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count <= 0 || start >= length) return 'unsatisfiable';
  return { start, end: Math.min(length, start + count) - 1 };
}

/** [I] An opaque signature for a revision: Deere's is opaque too, and only echoed back. */
function encodeSignature(revision: number): string {
  return Buffer.from(`rev:${revision}`).toString('base64');
}

function decodeSignature(signature: string): number | null {
  const match = /^rev:(\d+)$/.exec(Buffer.from(signature, 'base64').toString('utf8'));
  return match === null ? null : Number(match[1]);
}

function signBlob(path: string, expires: number): string {
  return crypto.createHmac('sha256', BLOB_KEY).update(`${path}\n${expires}`).digest('base64url');
}

function sameSignature(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}

/**
 * The Magic Link pages people see (`/magic-link/...`, public: the link id is the capability):
 * the chooser, provider forms, the OAuth start and callback, removal, and the file upload. HTML
 * comes from `src/web`; this file maps service answers to pages, statuses and headers.
 *
 * Headers: a Content-Security-Policy with a per-response nonce for the one style block and scripts
 * only from this origin, no framing, no referrer (the link id is in the URL), no caching.
 */
import crypto from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_BRANDING, imageOrigins, type Branding } from '../../../web/html.js';
import { STYLESHEET, UPLOAD_SCRIPT } from '../../../web/assets.js';
import { chooserPage, disconnectedPage, failurePage, providerFormPage, successPage, uploadPage, type FailureKind } from '../../../web/magic-link-pages.js';
import type { LinkConnected, LinkFailure, LinkSettings, MagicLinksService } from '../../../services/magic-links.js';
import type { LinkUploadRefusal, MagicLinkUploadsService } from '../../../services/magic-link-uploads.js';
import type { Provider } from '../../../providers/provider.js';
import { LINK_CALLBACK_PATH } from '../../../services/app-keys.js';

/** The cookie binding an OAuth state to the browser that started it. */
export const STATE_COOKIE = 'furrow_link_state';

const brandingOf = (settings: LinkSettings | undefined): Branding =>
  settings === undefined ? DEFAULT_BRANDING : { backgroundColor: settings.backgroundColor, companyName: settings.companyName, companyLogo: settings.companyLogo, headerImage: settings.headerImage };

/** `formTargets`: origins a form may end up on besides ours (a widget session's app page, reached by a redirect). */
function sendPage(reply: FastifyReply, status: number, branding: Branding, build: (nonce: string) => string, formTargets: readonly string[] = []): FastifyReply {
  const nonce = crypto.randomBytes(16).toString('base64');
  const images = ["'self'", ...new Set(imageOrigins(branding))].join(' ');
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      // form-action allows https: because the OAuth start answers a form POST with a redirect to the
      // provider's page, and Chromium applies form-action to redirects too.
      'content-security-policy': `default-src 'none'; style-src 'self' 'nonce-${nonce}'; script-src 'self'; img-src ${images}; connect-src 'self'; form-action 'self' https:${formTargets.map((o) => ` ${o}`).join('')}; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    })
    .send(build(nonce));
}

const FAILURE_STATUS: Record<FailureKind, number> = {
  unknown: 404,
  deleted: 410,
  expired: 410,
  used_up: 410,
  state_missing: 400,
  state_unknown: 400,
  state_expired: 400,
  state_replayed: 400,
  state_mismatch: 400,
  provider: 502,
  not_offered: 409,
};

function sendFailure(reply: FastifyReply, failure: LinkFailure): FastifyReply {
  const kind: FailureKind = failure.kind === 'link' ? failure.problem : failure.kind === 'state' ? `state_${failure.problem}` : failure.kind;
  const settings = 'settings' in failure ? failure.settings : undefined;
  const message = 'message' in failure ? failure.message : undefined;
  const linkId = 'linkId' in failure ? failure.linkId : undefined;
  return sendPage(reply, FAILURE_STATUS[kind], brandingOf(settings), (nonce) => failurePage({ kind, branding: brandingOf(settings), nonce, message, linkId }));
}

function sendConnected(reply: FastifyReply, connected: LinkConnected): FastifyReply {
  const { link } = connected;
  if (link.returnUrl !== null) {
    // A widget session: back to the app's page, which reads the outcome and raises its events.
    const back = new URL(link.returnUrl);
    back.searchParams.set('furrowLinkStatus', '1');
    back.searchParams.set('furrowLinkProvider', connected.provider.apiName);
    return reply.code(303).header('cache-control', 'no-store').redirect(back.toString(), 303);
  }
  const branding = brandingOf(connected.settings);
  return sendPage(reply, 200, branding, (nonce) =>
    successPage({ linkId: link.id, branding, nonce, providerName: connected.provider.name, status: connected.status, organizationsToConnect: connected.next.organizationsToConnect }),
  );
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const LinkParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
const LinkProviderParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 }, provider: { type: 'string', maxLength: 100 } }, required: ['id', 'provider'] } as const;

export const magicLinkPages: FastifyPluginAsync<{ magicLinks: MagicLinksService; providers: Readonly<Record<string, Provider>>; uploads?: MagicLinkUploadsService | undefined }> = async (app, options) => {
  const { magicLinks, providers } = options;
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
    route.schema = { ...(route.schema ?? {}), hide: true };
  });
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      const values: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(String(body))) if (!Object.hasOwn(values, name)) values[name] = value;
      done(null, values);
    });
  }
  // Page errors end on a page too, never on JSON with a stack.
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'magic link page failed');
    return sendPage(reply, 500, DEFAULT_BRANDING, (nonce) =>
      failurePage({ kind: 'provider', branding: DEFAULT_BRANDING, nonce, message: `Something went wrong on our side. Please try again; if it keeps happening, tell the app's support (reference ${String(request.id)}).` }),
    );
  });

  app.get('/magic-link/assets/furrow.css', async (_request, reply) => reply.headers({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' }).send(STYLESHEET));
  app.get('/magic-link/assets/upload.js', async (_request, reply) => reply.headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' }).send(UPLOAD_SCRIPT));

  app.get<{ Querystring: Record<string, string> }>(LINK_CALLBACK_PATH, async (request, reply) => {
    const result = await magicLinks.completeOAuth(request.query, cookieOf(request, STATE_COOKIE));
    reply.header('set-cookie', `${STATE_COOKIE}=; Path=/magic-link; HttpOnly; SameSite=Lax; Max-Age=0`);
    if (!result.ok && result.kind === 'provider' && result.returnUrl !== undefined) {
      // A widget session: the app's page raises status -1 with the grower's words (no secret in them).
      const back = new URL(result.returnUrl);
      back.searchParams.set('furrowLinkStatus', '-1');
      back.searchParams.set('furrowLinkMessage', result.message);
      return reply.code(303).header('cache-control', 'no-store').redirect(back.toString(), 303);
    }
    return result.ok ? sendConnected(reply, result) : sendFailure(reply, result);
  });

  app.get<{ Params: { id: string } }>('/magic-link/:id', { schema: { params: LinkParams } }, async (request, reply) => {
    const opened = await magicLinks.open(request.params.id);
    if (!opened.ok) return sendFailure(reply, opened);
    const branding = brandingOf(opened.settings);
    const userName = opened.settings.showLeafUserName ? (opened.user.name ?? undefined) : undefined;
    if (opened.link.widget === 'FILEUPLOAD') return sendPage(reply, 200, branding, (nonce) => uploadPage({ linkId: opened.link.id, branding, nonce, userName, limitBytes: options.uploads?.uploadLimitBytes }));
    return sendPage(reply, 200, branding, (nonce) =>
      chooserPage({ linkId: opened.link.id, branding, nonce, userName, providers: opened.providers, disconnectEnabled: opened.settings.disconnectEnabled, single: opened.link.widget === 'AUTHENTICATION' }),
    );
  });

  /** A form provider's page, or the provider's consent page with the state kept in the browser. */
  const startConnection = async (request: FastifyRequest, reply: FastifyReply, id: string, provider: string) => {
    if (providers[provider]?.link?.connect.kind === 'form') return reply.header('cache-control', 'no-store').redirect(`/magic-link/${encodeURIComponent(id)}/form/${encodeURIComponent(provider)}`, 303);
    const started = await magicLinks.startOAuth(id, provider);
    if (!started.ok) return sendFailure(reply, started);
    const secure = request.protocol === 'https' ? '; Secure' : '';
    // SameSite=Lax: the provider's redirect back is a top-level GET, which carries Lax cookies.
    reply.header('set-cookie', `${STATE_COOKIE}=${encodeURIComponent(started.state)}; Path=/magic-link; HttpOnly; SameSite=Lax; Max-Age=600${secure}`);
    return reply.header('cache-control', 'no-store').redirect(started.authorizeUrl, 303);
  };

  app.post<{ Params: { id: string; provider: string } }>('/magic-link/:id/connect/:provider', { schema: { params: LinkProviderParams } }, async (request, reply) =>
    startConnection(request, reply, request.params.id, request.params.provider),
  );

  // The widget's way in (GET, as a top-level navigation from the app's page, which no
  // form-action of the app's own CSP can block): only widget sessions, whose links are made by
  // the key-authenticated session endpoint and live fifteen minutes, start a connection on a GET.
  app.get<{ Params: { id: string; provider: string } }>('/magic-link/:id/widget/:provider', { schema: { params: LinkProviderParams } }, async (request, reply) => {
    const { id, provider } = request.params;
    const opened = await magicLinks.open(id);
    if (!opened.ok) return sendFailure(reply, opened);
    if (opened.link.returnUrl === null) return sendFailure(reply, { ok: false, kind: 'not_offered', message: 'Start from the list of providers.', settings: opened.settings, linkId: id });
    return startConnection(request, reply, id, provider);
  });

  const showForm = async (reply: FastifyReply, id: string, providerId: string, extra: { error?: string; values?: Record<string, string> } = {}, status = 200) => {
    const opened = await magicLinks.open(id);
    if (!opened.ok) return sendFailure(reply, opened);
    const provider = providers[providerId];
    const flow = provider?.link?.connect;
    const choice = opened.providers.find((p) => p.id === providerId);
    if (provider === undefined || flow === undefined || flow.kind !== 'form' || choice === undefined) {
      return sendFailure(reply, { ok: false, kind: 'not_offered', message: 'This link does not offer that provider. Go back and pick one of those listed.', settings: opened.settings, linkId: id });
    }
    const branding = brandingOf(opened.settings);
    const formTargets = opened.link.returnUrl === null ? [] : [new URL(opened.link.returnUrl).origin];
    return sendPage(reply, status, branding, (nonce) => providerFormPage({ linkId: id, branding, nonce, providerId, providerName: provider.name, fields: flow.fields, ...extra }), formTargets);
  };

  app.get<{ Params: { id: string; provider: string } }>('/magic-link/:id/form/:provider', { schema: { params: LinkProviderParams } }, async (request, reply) => showForm(reply, request.params.id, request.params.provider));

  app.post<{ Params: { id: string; provider: string }; Body: Record<string, string> }>('/magic-link/:id/form/:provider', { schema: { params: LinkProviderParams } }, async (request, reply) => {
    const { id, provider } = request.params;
    const form = typeof request.body === 'object' && request.body !== null ? request.body : {};
    const result = await magicLinks.submitForm(id, provider, form);
    if (result.ok) return sendConnected(reply, result);
    if (result.kind === 'provider') {
      const flow = providers[provider]?.link?.connect;
      const values = Object.fromEntries((flow?.kind === 'form' ? flow.fields : []).filter((f) => !f.secret).map((f) => [f.name, String(form[f.name] ?? '')]));
      return showForm(reply, id, provider, { error: result.message, values }, 400);
    }
    return sendFailure(reply, result);
  });

  app.post<{ Params: { id: string; provider: string } }>('/magic-link/:id/disconnect/:provider', { schema: { params: LinkProviderParams } }, async (request, reply) => {
    const result = await magicLinks.disconnect(request.params.id, request.params.provider);
    if (!result.ok) return sendFailure(reply, result);
    const branding = brandingOf(result.settings);
    return sendPage(reply, 200, branding, (nonce) => disconnectedPage({ linkId: result.link.id, branding, nonce, providerName: result.provider.name }));
  });

  if (options.uploads !== undefined) await registerUploads(app, options.uploads);
};

const UPLOAD_REFUSAL_STATUS: Record<LinkUploadRefusal['kind'], number> = { link: 410, state: 400, provider: 400, not_offered: 409, upload: 400 };

/** Words for the grower, never the service's message for API callers. */
function uploadRefusal(refusal: LinkUploadRefusal): { status: number; message: string } {
  if (refusal.kind === 'upload') return { status: refusal.tooLarge ? 413 : 400, message: refusal.message };
  if (refusal.kind === 'link') {
    const why = { unknown: 'is not valid', deleted: 'was withdrawn', expired: 'has expired', used_up: 'has been used as many times as allowed' }[refusal.problem];
    return { status: refusal.problem === 'unknown' ? 404 : 410, message: `This link ${why}. Please ask the app that sent it for a new link.` };
  }
  return { status: UPLOAD_REFUSAL_STATUS[refusal.kind], message: 'message' in refusal ? refusal.message : 'This upload cannot be done here.' };
}

/**
 * The upload page's endpoints, answering JSON to its script. The multipart reader stops one byte
 * past the limit, so the batch service sees the overflow and the page can say "too large".
 */
async function registerUploads(app: FastifyInstance, uploads: MagicLinkUploadsService): Promise<void> {
  await app.register(multipart, { limits: { fileSize: uploads.uploadLimitBytes + 1, files: 1, fields: 5, fieldSize: 1024 } });
  const json = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).send(body);
  app.post<{ Params: { id: string } }>('/magic-link/:id/upload', { schema: { params: LinkParams } }, async (request, reply) => {
    if (!request.isMultipart()) return json(reply, 415, { message: 'Send the file as multipart/form-data in the field "file".' });
    const part = await request.file();
    if (part === undefined || part.fieldname !== 'file') return json(reply, 400, { message: 'Choose a file to upload.' });
    const declared = Number(request.headers['content-length']);
    try {
      const result = await uploads.upload(request.params.id, { fileName: part.filename === '' ? 'upload.zip' : part.filename, content: part.file, declaredSize: Number.isFinite(declared) ? declared : undefined });
      if (!result.ok) {
        // The rest of the body is not wanted; discarding it lets the answer go out at once.
        part.file.resume();
        const refusal = uploadRefusal(result);
        return json(reply, refusal.status, { message: refusal.message });
      }
      return json(reply, 201, result.batch);
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return json(reply, 413, { message: `The file is larger than this link accepts (${uploads.uploadLimitBytes} bytes). Please split it into several uploads.` });
      throw error;
    }
  });
  app.get<{ Params: { id: string; batch: string } }>('/magic-link/:id/upload/:batch', { schema: { params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 }, batch: { type: 'string', maxLength: 100 } }, required: ['id', 'batch'] } } }, async (request, reply) => {
    const status = await uploads.status(request.params.id, request.params.batch);
    if (status === undefined) return json(reply, 404, { message: 'No such upload for this link.' });
    return json(reply, 200, status);
  });
}

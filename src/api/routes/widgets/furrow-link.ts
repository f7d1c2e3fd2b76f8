/**
 * The embeddable widget (Leaf Link's role, leaf-api.md 6.3): the script defining `<furrow-link>`,
 * and the one endpoint it calls, authenticated with a Leaf user's API key.
 *
 * CORS: the widget runs on the API owner's own pages, whose origins Furrow does not know, so the
 * widget endpoints (and only they) answer any origin, never with credentials: the key travels
 * in a header, no cookie is read, so a foreign page gains nothing it did not bring. What a key
 * could abuse is the page the grower returns to; that must be on the origin the browser reports
 * for the calling page (`Origin`), so a session can only send growers back to the page that made it.
 */
import crypto from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { FurrowError } from '../../../domain/index.js';
import type { ApiKeysService } from '../../../services/api-keys.js';
import type { MagicLinksService } from '../../../services/magic-links.js';
import { FURROW_LINK_SCRIPT } from '../../../web/furrow-link-script.js';

/** The header the widget sends its user API key in. */
export const API_KEY_HEADER = 'x-furrow-api-key';
export const WIDGET_SCRIPT_PATH = '/widgets/furrow-link.js';
export const WIDGET_SESSION_PATH = '/widgets/api/link/session';

const SCRIPT_ETAG = `"${crypto.createHash('sha256').update(FURROW_LINK_SCRIPT).digest('base64url').slice(0, 27)}"`;

const SessionBody = Type.Object({ returnUrl: Type.String({ minLength: 1, maxLength: 2000, description: 'The app page the grower comes back to; on the calling page\'s origin.' }) }, { additionalProperties: false });

const allowAnyOrigin = (reply: FastifyReply) =>
  reply.headers({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-request-id', vary: 'origin' });

export const furrowLinkRoutes: FastifyPluginAsync<{ apiKeys: ApiKeysService; magicLinks: MagicLinksService }> = async (app, { apiKeys, magicLinks }) => {
  app.addHook('onRoute', (route) => {
    // Public to the owner-token check: the session route authenticates its own key.
    route.config = { ...(route.config ?? {}), public: true };
    route.schema = { ...(route.schema ?? {}), hide: true };
  });
  // Set before the handler runs, so refusals (401, 400) are readable by the widget too.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.url.startsWith('/widgets/api/')) allowAnyOrigin(reply);
    done();
  });

  app.get(WIDGET_SCRIPT_PATH, async (request, reply) => {
    reply.headers({
      'content-type': 'text/javascript; charset=utf-8',
      // An hour, revalidated by ETag: a new release reaches pages within the hour, cheaply.
      'cache-control': 'public, max-age=3600',
      etag: SCRIPT_ETAG,
      'x-content-type-options': 'nosniff',
      // Loaded by other origins' pages, including ones that send Cross-Origin-Embedder-Policy.
      'cross-origin-resource-policy': 'cross-origin',
      'access-control-allow-origin': '*',
    });
    if (request.headers['if-none-match'] === SCRIPT_ETAG) return reply.code(304).send();
    return reply.send(FURROW_LINK_SCRIPT);
  });

  app.options('/widgets/api/*', async (_request, reply) =>
    reply
      .code(204)
      .headers({ 'access-control-allow-methods': 'POST', 'access-control-allow-headers': `content-type, ${API_KEY_HEADER}`, 'access-control-max-age': '600' })
      .send(),
  );

  app.post<{ Body: Static<typeof SessionBody> }>(WIDGET_SESSION_PATH, { schema: { body: SessionBody } }, async (request, reply) => {
    const key = request.headers[API_KEY_HEADER];
    if (typeof key !== 'string' || key === '') throw new FurrowError('authentication_required', `Send the Leaf user's API key in the ${API_KEY_HEADER} header; create one with POST /services/usermanagement/api/api-keys.`);
    const principal = await apiKeys.authenticate(key);
    const origin = request.headers.origin;
    const returnUrl = URL.canParse(request.body.returnUrl) ? new URL(request.body.returnUrl) : undefined;
    if (returnUrl === undefined || !/^https?:$/.test(returnUrl.protocol) || origin === undefined || returnUrl.origin !== origin) {
      throw new FurrowError('validation_failed', `Expected returnUrl to be an http(s) page on the calling page's origin (${origin ?? 'no Origin header was sent'}); found "${request.body.returnUrl}".`, {
        fieldErrors: [{ field: 'body.returnUrl', message: "must be on the calling page's origin" }],
      });
    }
    const session = await magicLinks.createWidgetSession(principal.owner, principal.userId, returnUrl.toString());
    const opened = await magicLinks.open(session.id);
    if (!opened.ok) throw new FurrowError('internal_error', 'The widget session could not be opened right after it was made.');
    reply.header('cache-control', 'no-store');
    return {
      expiresAt: session.expiresAt,
      providers: opened.providers.map((p) => ({
        provider: p.apiName,
        name: p.name,
        kind: p.kind,
        connected: p.connected,
        status: p.status ?? null,
        createdTime: p.connectedAt ?? null,
        connectUrl: `${session.link}/widget/${encodeURIComponent(p.id)}`,
      })),
    };
  });
};

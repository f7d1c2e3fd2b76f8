import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Provider } from '../../../providers/provider.js';
import { SANDBOX_PATH } from '../../../sandbox/sandbox-routes.js';
import type { CredentialsService } from '../../../services/credentials.js';
import { PendingOneClicks, completeOneClick, startOneClick } from '../../../services/one-click.js';
import type { UsersService } from '../../../services/users.js';
import { CredentialParams, CredentialResponse } from '../../schemas/credentials.js';

const OneClickStarted = Type.Object({
  signInUrl: Type.String({ description: 'The provider page the grower opens (for Panorama: the Share Initiation URL).' }),
  callbackUrl: Type.String({ description: "Where the provider sends the grower back: Panorama's Sharing Confirmation URL." }),
  expiresAt: Type.String({ format: 'date-time', description: 'The callback is refused after this.' }),
});

const CallbackQuery = Type.Object(
  { state: Type.String({ minLength: 1, maxLength: 200, description: 'The state of the start, handed back by the provider.' }) },
  { additionalProperties: Type.String({ maxLength: 1000 }) },
);

const OneClickCompleted = Type.Object({
  status: Type.Literal('CREDENTIAL_ASSIGNED'),
  message: Type.String(),
  leafUserId: Type.String(),
  credential: CredentialResponse,
});

type Params = Static<typeof CredentialParams>;

/**
 * Leaf's one-click connection for every provider that has one (`provider.oneClick`), by its Leaf
 * API name: `POST /users/{id}/one-click-integration/{apiName}` starts it, and
 * `GET /users/one-click-integration/{apiName}/callback` (public: the provider's redirect brings the
 * grower's browser there) completes it. Both are `services/one-click.ts`.
 */
export const oneClickRoutes: FastifyPluginAsync<{
  credentials: CredentialsService;
  users: UsersService;
  providers: Readonly<Record<string, Provider>>;
  /** True when the sandbox is served: the grower's page is then the emulator's. */
  sandbox: boolean;
}> = async (app, options) => {
  const deps = { credentials: options.credentials, users: options.users, pending: new PendingOneClicks() };
  const tags = ['credentials'];
  for (const provider of Object.values(options.providers)) {
    const flow = provider.oneClick;
    if (flow === undefined) continue;
    const callbackPath = `/users/one-click-integration/${provider.apiName}/callback`;

    app.post<{ Params: Params; Body: Record<string, unknown> }>(
      `/users/:id/one-click-integration/${provider.apiName}`,
      {
        schema: {
          tags,
          summary: `Start connecting ${provider.name} in one click: answers the page for the grower; the credential is stored when ${provider.name} sends them back.`,
          params: CredentialParams,
          body: flow.startSchema,
          response: { 200: OneClickStarted },
        },
      },
      async (request) => {
        // [I] The callback URL from the request's own origin: what the caller reached Furrow at.
        const origin = originOf(request);
        return startOneClick(deps, request.owner, request.params.id, provider, request.body, {
          callbackUrl: `${origin}${app.prefix}${callbackPath}`,
          sandboxBaseUrl: options.sandbox ? `${origin}${SANDBOX_PATH}` : undefined,
        });
      },
    );

    app.get<{ Querystring: Static<typeof CallbackQuery> }>(
      callbackPath,
      {
        config: { public: true },
        schema: { tags, summary: `${provider.name} sends the grower here after the one-click; the credential is then validated and stored.`, querystring: CallbackQuery, response: { 200: OneClickCompleted } },
      },
      async (request) => completeOneClick(deps, provider, request.query as Record<string, string>),
    );
  }
};

function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { LINK_MAX_MAX_USAGE, LINK_MAX_SECONDS, LINK_MIN_SECONDS, type CreateLinkRequest, type MagicLinksService, type MagicLinkWidget } from '../../../services/magic-links.js';

const Bool = Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')]);
const Settings = Type.Object(
  {
    backgroundColor: Type.Optional(Type.String({ maxLength: 9, description: 'Hex colour; #F5F5F5 by default.' })),
    companyLogo: Type.Optional(Type.String({ maxLength: 2000 })),
    companyName: Type.Optional(Type.String({ maxLength: 200 })),
    headerImage: Type.Optional(Type.String({ maxLength: 2000 })),
    showLeafUserName: Type.Optional(Bool),
    disconnectEnabled: Type.Optional(Bool),
  },
  { additionalProperties: true },
);
const Common = {
  expiresIn: Type.Optional(Type.Integer({ minimum: LINK_MIN_SECONDS, maximum: LINK_MAX_SECONDS, description: 'Seconds; 900 when absent, one year at most.' })),
  maxUsage: Type.Optional(Type.Integer({ minimum: 1, maximum: LINK_MAX_MAX_USAGE, description: 'Completed connections or uploads the link allows; 3 when absent (Furrow extension).' })),
  settings: Type.Optional(Settings),
};
const AutoUser = {
  externalId: Type.String({ minLength: 1, maxLength: 200, description: 'Creates the Leaf user with this externalId, or reuses it.' }),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  email: Type.Optional(Type.String({ maxLength: 200 })),
};
const ProviderBody = { ...Common, allowedProviders: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 })) };
const AuthenticationBody = { ...Common, provider: Type.String({ minLength: 1, maxLength: 50 }) };

const KINDS: { path: string; widget: MagicLinkWidget; body: Record<string, TSchema> }[] = [
  { path: 'provider', widget: 'PROVIDER', body: ProviderBody },
  { path: 'authentication', widget: 'AUTHENTICATION', body: AuthenticationBody },
  { path: 'file-upload', widget: 'FILEUPLOAD', body: Common },
];

const LinkView = Type.Object(
  {
    id: Type.String(),
    link: Type.String({ description: "Furrow's page: FURROW_PUBLIC_URL + /magic-link/{id}." }),
    createdAt: Type.String(),
    expiresAt: Type.String(),
    lastAccessedAt: Type.Union([Type.String(), Type.Null()]),
    leafUserId: Type.String(),
    maxUsage: Type.Integer(),
    usageCount: Type.Integer(),
    widget: Type.String(),
    settings: Type.Object({}, { additionalProperties: true }),
    allowedProviders: Type.Optional(Type.Array(Type.String())),
    provider: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const UserParams = Type.Object({ leafUserId: Type.String({ minLength: 1, maxLength: 100 }) });

/** Leaf's Magic Link endpoints (leaf-api.md 6.4): list, get, create (for a user or by externalId), delete. */
export const magicLinkRoutes: FastifyPluginAsync<{ magicLinks: MagicLinksService }> = async (app, { magicLinks }) => {
  const tags = ['magic link'];
  for (const kind of KINDS) {
    const { widget } = kind;
    const toRequest = (body: Record<string, unknown>, user: CreateLinkRequest['user']): CreateLinkRequest => ({
      widget,
      user,
      expiresIn: body['expiresIn'] as number | undefined,
      maxUsage: body['maxUsage'] as number | undefined,
      allowedProviders: body['allowedProviders'] as string[] | undefined,
      provider: body['provider'] as string | undefined,
      settings: body['settings'] as Record<string, unknown> | undefined,
    });
    app.get(`/magic-link/${kind.path}`, { schema: { tags, summary: `The API owner's ${widget} links (not deleted).`, response: { 200: Type.Array(LinkView) } } }, async (request) => magicLinks.list(request.owner, widget));
    app.get<{ Params: Static<typeof IdParams> }>(`/magic-link/${kind.path}/:id`, { schema: { tags, summary: `One ${widget} link.`, params: IdParams, response: { 200: LinkView } } }, async (request) =>
      magicLinks.get(request.owner, widget, request.params.id),
    );
    app.delete<{ Params: Static<typeof IdParams> }>(`/magic-link/${kind.path}/:id`, { schema: { tags, summary: `Delete a ${widget} link; its page then says it was deleted.`, params: IdParams } }, async (request, reply) => {
      await magicLinks.delete(request.owner, widget, request.params.id);
      return reply.code(204).send();
    });
    app.post<{ Body: Record<string, unknown> }>(
      `/magic-link/${kind.path}`,
      { schema: { tags, summary: `Create a ${widget} link, creating or reusing the Leaf user of externalId.`, body: Type.Object({ ...kind.body, ...AutoUser } as Record<string, TSchema>, { additionalProperties: true }), response: { 201: LinkView } } },
      async (request, reply) => {
        const body = request.body;
        const created = await magicLinks.create(request.owner, toRequest(body, { externalId: body['externalId'] as string, name: body['name'] as string | undefined, email: body['email'] as string | undefined }));
        reply.code(201);
        return created;
      },
    );
    app.post<{ Params: Static<typeof UserParams>; Body: Record<string, unknown> }>(
      `/magic-link/users/:leafUserId/${kind.path}`,
      { schema: { tags, summary: `Create a ${widget} link for an existing Leaf user.`, params: UserParams, body: Type.Object(kind.body as Record<string, TSchema>, { additionalProperties: true }), response: { 201: LinkView } } },
      async (request, reply) => {
        const created = await magicLinks.create(request.owner, toRequest(request.body, { leafUserId: request.params.leafUserId }));
        reply.code(201);
        return created;
      },
    );
  }
};

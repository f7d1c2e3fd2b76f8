import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiOwnersService } from '../../services/api-owners.js';

const AuthenticateBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  // Leaf's docs send "true"/"false" as strings; its Postman collection and clients send booleans.
  rememberMe: Type.Optional(Type.Union([Type.Boolean(), Type.String({ enum: ['true', 'false', 'TRUE', 'FALSE', 'True', 'False'] })])),
});

/** `POST /api/authenticate`, exactly as Leaf: `{ username, password, rememberMe }` -> `{ id_token }`. */
export const authenticateRoutes: FastifyPluginAsync<{ apiOwners: ApiOwnersService }> = async (app, { apiOwners }) => {
  app.post<{ Body: Static<typeof AuthenticateBody> }>(
    '/api/authenticate',
    {
      config: { public: true },
      schema: {
        tags: ['authentication'],
        security: [],
        summary: 'Exchange an API owner\'s email and password for a bearer token (24 h, or 30 days with rememberMe).',
        body: AuthenticateBody,
        response: { 200: Type.Object({ id_token: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { username, password, rememberMe } = request.body;
      const remember = rememberMe === true || (typeof rememberMe === 'string' && rememberMe.toLowerCase() === 'true');
      const { idToken } = await apiOwners.authenticate(username, password, remember);
      // JHipster, which Leaf runs on, also echoes the token in the Authorization header.
      reply.header('Authorization', `Bearer ${idToken}`);
      return { id_token: idToken };
    },
  );
};

import { baseFields, defaultSubgraphUrl, DEFAULT_PORTS, env, listenFields, loadConfig, z } from '@shutter/config';

export const socialGraphConfigSchema = z.object({
  ...baseFields,
  ...listenFields('SOCIAL_GRAPH', DEFAULT_PORTS['social-graph']),
  SOCIAL_GRAPH_DATABASE_URL: env.postgresUrl(),
  // Asked whether a user exists before an edge to them is made.
  USERS_URL: env.url().default(defaultSubgraphUrl('users')),
});

export type SocialGraphConfig = z.infer<typeof socialGraphConfigSchema>;

export const loadSocialGraphConfig = (source: Record<string, string | undefined> = process.env) =>
  loadConfig('social-graph', socialGraphConfigSchema, source);

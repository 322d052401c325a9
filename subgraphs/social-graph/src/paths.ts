import { fileURLToPath } from 'node:url';

// The files this service reads at run time. Kept in a file directly under src/ so that the same
// relative paths hold from the bundle in dist/ (the build copies the SDL beside it).
export const schemaFile = new URL('./schema.graphql', import.meta.url);
export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

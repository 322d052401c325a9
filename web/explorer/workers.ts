/**
 * Monaco's workers (the editor's, JSON's for the variables, GraphQL's for the query), as Vite
 * builds them: `?worker` files of this origin (the explorer's CSP allows workers from 'self' only).
 * graphiql/setup-workers/vite does the same, but from inside node_modules, where Vite's dependency
 * optimizer (npm run dev) cannot follow a ?worker import.
 */
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker.js?worker';
import JsonWorker from 'monaco-editor/esm/vs/language/json/json.worker.js?worker';
import GraphQLWorker from 'monaco-graphql/esm/graphql.worker.js?worker';

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'json') return new JsonWorker();
    if (label === 'graphql') return new GraphQLWorker();
    return new EditorWorker();
  },
};

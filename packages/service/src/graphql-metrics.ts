import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { graphqlDuration, graphqlErrors, graphqlRequests, operationLabel, trace } from '@shutter/telemetry';

/**
 * Each GraphQL operation's count, outcome, errors by code and latency (the gateway's and every
 * subgraph's), labelled with the operation's name once Apollo has resolved it, that is after the
 * document parsed and validated. Also names the request's span after the operation, so a trace
 * reads `graphql CreatePost` rather than `HTTP POST`.
 */
export function graphqlMetricsPlugin<TContext extends BaseContext>(service: string): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      const span = trace.getActiveSpan();
      let operation = 'anonymous';
      return {
        async didResolveOperation({ operationName, operation: definition }) {
          operation = operationLabel(operationName);
          span?.updateName(`graphql ${operation}`);
          span?.setAttributes({ 'graphql.operation.name': operation, 'graphql.operation.type': definition?.operation ?? 'unknown' });
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          graphqlRequests.inc({ service, operation, status: errors.length > 0 ? 'error' : 'ok' });
          for (const error of errors) graphqlErrors.inc({ service, operation, code: String(error.extensions?.code ?? 'UNKNOWN') });
          graphqlDuration.observe({ service, operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

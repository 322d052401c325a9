export * from './access-token.ts';
export * from './request-signature.ts';
export * from './keys.ts';

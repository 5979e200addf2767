/**
 * @module core/api
 * The wire contract of Ferry's HTTP API and push channel: zod schemas of every request and
 * answer, with their types inferred from them. The handlers validate with them, the OpenAPI
 * document is generated from them, and the typed client, the CLI and the web app are typed by them.
 */
export * from './errors.ts';
export * from './fields.ts';
export * from './jobs.ts';
export * from './multipart.ts';
export * from './push-events.ts';
export * from './results.ts';
export * from './uploads.ts';

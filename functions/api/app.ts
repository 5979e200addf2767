/**
 * @module functions/api/app
 * The HTTP API as a Hono app: routes, and the middleware every request passes through, in
 * order: request log, errors as JSON, CORS (preflights answered before auth), 405 with `Allow`
 * for known paths, bearer auth (the caller's client), the client's rate limit (429), and a body
 * size limit (413). Every route sees only the caller's jobs.
 *
 * | Route                | Answer                                                        |
 * |----------------------|---------------------------------------------------------------|
 * | POST /uploads        | 201 `{ jobId, status, task, key, upload, expiresAt }`         |
 * | GET /jobs/{id}       | 200 job (+ `result` when SUCCEEDED); 400 bad id; 404 unknown  |
 * | GET /jobs            | 200 `{ jobs, cursor? }`, newest first                          |
 * | DELETE /jobs/{id}    | 200 the CANCELED job; 409 `{ error: { status } }` when final  |
 * | GET /uploads/{id}/parts?from=N | 200 `{ parts }`: more part URLs of a multipart upload |
 * | POST /uploads/{id}/complete | 200 `{ jobId, key, etag }`: the parts joined          |
 * | DELETE /uploads/{id} | 200 the CANCELED job: multipart upload aborted                |
 * | GET /openapi.json    | 200 the OpenAPI 3.1 document (openapi.ts), without a key      |
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { ApiErrorCode } from '../../core/api/errors.ts';
import { ListJobsQuerySchema } from '../../core/api/jobs.ts';
import { CompleteUploadSchema, PartUrlsQuerySchema } from '../../core/api/multipart.ts';
import { CreateUploadSchema } from '../../core/api/uploads.ts';
import type { Principal } from '../../core/client-store.ts';
import { authenticate } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';
import { cancelJob, getJob, listJobs } from './jobs.ts';
import { abortMultipart, COMPLETE_MAX_BODY_BYTES, completeMultipart, partUrls } from './multipart.ts';
import { openApiDocument } from './openapi.ts';
import { limitRequest } from './rate-limit.ts';
import { createUpload } from './uploads.ts';

/** What middleware hands to routes. */
export type ApiEnv = { Variables: { principal: Principal } };

export function createApp(deps: ApiDeps): Hono<ApiEnv> {
  const { options, logger } = deps;
  const app = new Hono<ApiEnv>();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const entry = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round(performance.now() - started),
    };
    if (status >= 500) logger.error('request failed', entry);
    else logger.info('request', entry);
  });

  app.use(
    cors({
      origin: options.corsOrigins.includes('*') ? '*' : [...options.corsOrigins],
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
  );

  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        const allow = methods.join(', ');
        return errorResponse(
          c,
          new ApiError(
            405,
            ApiErrorCode.MethodNotAllowed,
            `${c.req.method} is not allowed here; use ${allow}`,
            {
              headers: { Allow: allow },
            },
          ),
        );
      },
    }),
  );

  // Public, so tools can read it without a key: registered before the auth middleware.
  app.get('/openapi.json', (c) => c.json(openApiDocument()));

  app.use(async (c, next) => {
    const principal = await authenticate(c.req.header('authorization'), deps.clients);
    await limitRequest(deps.clients, principal);
    c.set('principal', principal);
    await next();
  });

  const limitBody = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) =>
        errorResponse(
          c,
          new ApiError(
            413,
            ApiErrorCode.PayloadTooLarge,
            `The request body must be at most ${maxSize} bytes`,
          ),
        ),
    });
  const bodyLimits = {
    default: limitBody(options.maxBodyBytes),
    complete: limitBody(COMPLETE_MAX_BODY_BYTES),
  };
  // Completing a multipart upload lists every part: up to 10,000 of them.
  app.use((c, next) =>
    (c.req.path.endsWith('/complete') ? bodyLimits.complete : bodyLimits.default)(c, next),
  );

  app.post('/uploads', async (c) => {
    const parsed = CreateUploadSchema.safeParse(await readJson(c));
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    const principal = c.get('principal');
    const created = await createUpload(deps, principal, parsed.data);
    logger.info('job created', {
      jobId: created.jobId,
      key: created.key,
      task: created.task,
      clientId: principal.client.clientId,
    });
    return c.json(created, 201);
  });

  app.get('/uploads/:id/parts', async (c) => {
    const parsed = PartUrlsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    return c.json(await partUrls(deps, c.get('principal').client.clientId, c.req.param('id'), parsed.data));
  });

  app.post('/uploads/:id/complete', async (c) => {
    const parsed = CompleteUploadSchema.safeParse(await readJson(c));
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    const done = await completeMultipart(
      deps,
      c.get('principal').client.clientId,
      c.req.param('id'),
      parsed.data,
    );
    logger.info('multipart upload completed', { jobId: done.jobId, key: done.key });
    return c.json(done);
  });

  app.delete('/uploads/:id', async (c) => {
    const job = await abortMultipart(deps, c.get('principal').client.clientId, c.req.param('id'));
    logger.info('multipart upload aborted; job canceled', { jobId: job.jobId });
    return c.json(job);
  });

  app.get('/jobs', async (c) => {
    const parsed = ListJobsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw ApiError.fromZod(parsed.error, 'query');
    return c.json(await listJobs(deps, c.get('principal').client.clientId, parsed.data));
  });

  app.get('/jobs/:id', async (c) =>
    c.json(await getJob(deps, c.get('principal').client.clientId, c.req.param('id'))),
  );

  app.delete('/jobs/:id', async (c) => {
    const job = await cancelJob(deps, c.get('principal').client.clientId, c.req.param('id'));
    logger.info('job canceled', { jobId: job.jobId });
    return c.json(job);
  });

  app.notFound((c) =>
    errorResponse(c, new ApiError(404, ApiErrorCode.NotFound, `No route for ${c.req.method} ${c.req.path}`)),
  );

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    logger.error('unhandled error', { error, method: c.req.method, path: c.req.path });
    return errorResponse(
      c,
      new ApiError(500, ApiErrorCode.Internal, 'Internal error; the request can be retried'),
    );
  });

  return app;
}

function errorResponse(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(error.toBody(), error.status);
}

/** The body as JSON; 400 naming the problem when it is empty or not JSON. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) {
    throw new ApiError(400, ApiErrorCode.InvalidJson, 'The request body must be a JSON object', {
      field: '(body)',
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      400,
      ApiErrorCode.InvalidJson,
      `The request body is not valid JSON: ${(error as Error).message}`,
      {
        field: '(body)',
        cause: error,
      },
    );
  }
}

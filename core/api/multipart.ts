/**
 * @module core/api/multipart
 * The multipart upload's wire shapes: the plan `POST /uploads` returns above the multipart
 * threshold, `GET /uploads/{jobId}/parts`, and `POST /uploads/{jobId}/complete`. Each part has
 * an exact size (core/upload-size.ts): its URL signs it, and `complete` checks what arrived.
 */
import { z } from 'zod';

/** S3's limits on multipart uploads. */
export const S3_MULTIPART = { minPartBytes: 5 * 1024 * 1024, maxParts: 10_000 } as const;

export const PartUrlSchema = z.object({
  partNumber: z.number().int(),
  url: z.string().describe('Presigned PUT URL of this part; it signs `Content-Length: size`'),
  size: z
    .number()
    .int()
    .describe('Bytes this part must carry: `partSize`, the last part the rest of the declared size'),
});
export type PartUrl = z.infer<typeof PartUrlSchema>;

export const MultipartPlanSchema = z.object({
  method: z.literal('MULTIPART'),
  uploadId: z.string(),
  partSize: z.number().int().describe('Bytes in every part but the last'),
  partCount: z.number().int(),
  parts: z
    .array(PartUrlSchema)
    .describe("URLs of the first parts: PUT each part's bytes and keep the ETag response header"),
  partsUrl: z.string().describe('GET it with `?from=N` for the URLs of parts N.. (a page at a time)'),
  completeUrl: z
    .string()
    .describe(
      'POST `{ parts: [{ partNumber, etag }] }` here when every part is up; parts of another size than planned fail the job',
    ),
  abortUrl: z.string().describe('DELETE it to abort the upload; the job ends CANCELED'),
});
export type MultipartPlan = z.infer<typeof MultipartPlanSchema>;

/** Query of `GET /uploads/{jobId}/parts`; the upper bound (the part count) is checked against the job. */
export const PartUrlsQuerySchema = z.strictObject({
  from: z.coerce
    .number({ message: 'must be a part number' })
    .int('must be a whole part number')
    .min(1, 'must be a part number from 1')
    .max(S3_MULTIPART.maxParts, `must be at most ${S3_MULTIPART.maxParts}`)
    .default(1),
});
export type PartUrlsQuery = z.infer<typeof PartUrlsQuerySchema>;

/** Answer of `GET /uploads/{jobId}/parts`. */
export const PartUrlListSchema = z.object({ parts: z.array(PartUrlSchema) });
export type PartUrlPage = z.infer<typeof PartUrlListSchema>;

/** Body of `POST /uploads/{jobId}/complete`. */
export const CompleteUploadSchema = z.strictObject({
  parts: z
    .array(
      z.strictObject({
        partNumber: z.number({ message: 'must be a number' }).int().min(1).max(S3_MULTIPART.maxParts),
        etag: z.string({ message: 'must be a string: the ETag header of the part upload' }).min(1).max(200),
      }),
      { message: 'is required: [{ partNumber, etag }] for every part' },
    )
    .min(1, 'must list every part'),
});
export type CompleteUploadRequest = z.infer<typeof CompleteUploadSchema>;

/** Answer of `POST /uploads/{jobId}/complete`. */
export const CompletedUploadSchema = z.object({
  jobId: z.string(),
  key: z.string(),
  etag: z.string().describe("The object's ETag"),
});
export type CompletedUpload = z.infer<typeof CompletedUploadSchema>;

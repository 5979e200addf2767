/**
 * @module infra/storage
 * The bucket (inputs under uploads/, results under results/) and the jobs table, with the
 * key layout and schema of core/config.ts.
 */
import { BUCKET_CORS, KEY_PREFIX, TABLE } from '../core/config.ts';
import type { StorageOptions } from './options.ts';

export interface Storage {
  bucket: sst.aws.Bucket;
  table: sst.aws.Dynamo;
}

export function createStorage(o: StorageOptions): Storage {
  // Private: SST adds a public access block with all four settings on (no `access` given) and a
  // bucket policy that denies plain HTTP (enforceHttps defaults to true).
  const bucket = new sst.aws.Bucket('Bucket', {
    versioning: o.versioning,
    // Browser uploads with a presigned PUT or POST; ETag is exposed for multipart clients.
    cors: {
      allowOrigins: o.corsOrigins,
      allowMethods: [...BUCKET_CORS.allowedMethods],
      allowHeaders: [...BUCKET_CORS.allowedHeaders],
      exposeHeaders: [...BUCKET_CORS.exposeHeaders],
      maxAge: `${o.corsMaxAgeSec} seconds`,
    },
  });

  // New buckets get SSE-S3 anyway since 2023; stating it keeps the setting visible and drift-checked.
  // SSE-KMS would need kms:Decrypt/GenerateDataKey in every role of infra/iam.ts.
  new aws.s3.BucketServerSideEncryptionConfiguration('BucketEncryption', {
    bucket: bucket.name,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  });

  new aws.s3.BucketLifecycleConfiguration('BucketLifecycle', {
    bucket: bucket.name,
    rules: [
      ...expiry('expire-uploads', KEY_PREFIX.uploads, o.uploadsRetentionDays),
      ...expiry('expire-results', KEY_PREFIX.results, o.resultsRetentionDays),
      {
        id: 'abort-incomplete-multipart-uploads',
        status: 'Enabled',
        filter: { prefix: '' },
        abortIncompleteMultipartUpload: { daysAfterInitiation: o.abortIncompleteUploadAfterDays },
      },
      ...(o.versioning
        ? [
            {
              id: 'expire-old-versions',
              status: 'Enabled',
              filter: { prefix: '' },
              noncurrentVersionExpiration: { noncurrentDays: 30 },
            },
          ]
        : []),
    ],
  });

  const table = new sst.aws.Dynamo('JobsTable', {
    fields: {
      [TABLE.partitionKey]: 'string',
      [TABLE.statusIndex.partitionKey]: 'string',
      [TABLE.statusIndex.sortKey]: 'string',
      [TABLE.clientIndex.partitionKey]: 'string',
    },
    primaryIndex: { hashKey: TABLE.partitionKey },
    globalIndexes: {
      [TABLE.statusIndex.name]: {
        hashKey: TABLE.statusIndex.partitionKey,
        rangeKey: TABLE.statusIndex.sortKey,
        projection: 'all',
      },
      [TABLE.clientIndex.name]: {
        hashKey: TABLE.clientIndex.partitionKey,
        rangeKey: TABLE.clientIndex.sortKey,
        projection: 'all',
      },
    },
    ttl: TABLE.ttlAttribute,
    // The push channel's fan-out (infra/push.ts) reads every change from here.
    stream: 'new-and-old-images',
    deletionProtection: o.tableDeletionProtection,
  });

  return { bucket, table };
}

/** A lifecycle rule deleting objects under `prefix` after `days`; none when days is 0 (keep forever). */
function expiry(id: string, prefix: string, days: number) {
  return days === 0 ? [] : [{ id, status: 'Enabled', filter: { prefix }, expiration: { days } }];
}

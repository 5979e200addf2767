/**
 * core/resources: resourcesToEnv() is the inverse of resourcesFromEnv(), so every place that
 * hands resources to a process (npm start, tests, bench, infra/) writes the variables one way.
 */
import { describe, expect, test } from 'vitest';
import { RESOURCE_ENV, type Resources, resourcesFromEnv, resourcesToEnv } from '../../../core/resources.ts';

const full: Resources = {
  bucket: 'ferry-bucket',
  table: 'ferry-jobs',
  queueUrl: 'http://127.0.0.1:4566/000000000000/ferry-jobs',
  webhookQueueUrl: 'http://127.0.0.1:4566/000000000000/ferry-webhooks',
  dlqUrl: 'http://127.0.0.1:4566/000000000000/ferry-jobs-dlq',
  clientsTable: 'ferry-clients',
  parameterPrefix: '/ferry/local',
  ingestFailuresQueueUrl: 'http://127.0.0.1:4566/000000000000/ferry-ingest-failures',
};

describe('resourcesToEnv', () => {
  test('round-trips through resourcesFromEnv, with and without the optional queues', () => {
    expect(resourcesFromEnv(resourcesToEnv(full))).toEqual(full);
    const {
      webhookQueueUrl: _w,
      dlqUrl: _d,
      clientsTable: _c,
      parameterPrefix: _p,
      ingestFailuresQueueUrl: _i,
      ...required
    } = full;
    expect(resourcesFromEnv(resourcesToEnv(required))).toEqual(required);
  });

  test('writes exactly the FERRY_* variables resourcesFromEnv reads', () => {
    expect(Object.keys(resourcesToEnv(full)).sort()).toEqual(Object.values(RESOURCE_ENV).sort());
    expect(resourcesToEnv({ ...full, dlqUrl: undefined })).not.toHaveProperty('FERRY_DLQ_URL');
  });
});

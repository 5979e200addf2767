/**
 * @module core/ingest/recovery
 * One run of ingest recovery: replay the events ingest gave up on (replay.ts), then, once per
 * sweep period across the whole deployment, sweep the bucket for uploads that never got an
 * event (upload-sweep.ts), and count both (recovery-stats.ts). The scheduled reconciler
 * function runs it beside the reconciler; locally the worker's reconciler sweep does.
 */
import { z } from 'zod';
import type { AwsClients } from '../aws.ts';
import { INGEST_RECOVERY, JOB } from '../config.ts';
import { envInt, readEnv } from '../env.ts';
import type { Resources } from '../resources.ts';
import { ingestDeps } from './ingest-deps.ts';
import type { IngestDeps } from './ingest-object.ts';
import type { IngestLog } from './ingest-records.ts';
import { IngestRecoveryStats } from './recovery-stats.ts';
import { type ReplayReport, replayIngestFailures } from './replay.ts';
import { sweepUploads, type UploadSweepReport } from './upload-sweep.ts';

const DAY_SEC = 24 * 3600;
const { orphanSweep } = INGEST_RECOVERY;

/** The upload sweep's variables (the reconciler function's and the worker's). */
export const UploadSweepEnvSchema = z
  .object({
    /** How often the bucket is swept for uploads without a job, in seconds; 0 turns it off. */
    FERRY_UPLOAD_SWEEP_SEC: envInt(0, DAY_SEC, 'seconds').default(orphanSweep.everySec),
    /** Uploads younger than this are left to their own event, in seconds. */
    FERRY_UPLOAD_SWEEP_MIN_AGE_SEC: envInt(0, DAY_SEC, 'seconds').default(orphanSweep.minAgeSec),
    /** Uploads older than this are never swept, in seconds: at most half the job record's retention. */
    FERRY_UPLOAD_SWEEP_MAX_AGE_SEC: envInt(60, (JOB.retentionDays * DAY_SEC) / 2, 'seconds').default(
      orphanSweep.maxAgeSec,
    ),
  })
  .refine((e) => e.FERRY_UPLOAD_SWEEP_MAX_AGE_SEC > e.FERRY_UPLOAD_SWEEP_MIN_AGE_SEC, {
    path: ['FERRY_UPLOAD_SWEEP_MAX_AGE_SEC'],
    message: 'must exceed FERRY_UPLOAD_SWEEP_MIN_AGE_SEC',
  });

export interface UploadSweepSettings {
  everySec: number;
  minAgeSec: number;
  maxAgeSec: number;
}

/** Throws ConfigError naming a bad variable. */
export function uploadSweepSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): UploadSweepSettings {
  const e = readEnv(UploadSweepEnvSchema, env);
  return {
    everySec: e.FERRY_UPLOAD_SWEEP_SEC,
    minAgeSec: e.FERRY_UPLOAD_SWEEP_MIN_AGE_SEC,
    maxAgeSec: e.FERRY_UPLOAD_SWEEP_MAX_AGE_SEC,
  };
}

export interface IngestRecoveryDeps {
  ingest: IngestDeps;
  bucket: string;
  failuresQueueUrl: string;
  sweep: UploadSweepSettings;
  /**
   * The caller's period, in seconds: an event that fails its replay is tried again by the next
   * run, not later. @default INGEST_RECOVERY.replayRetryAfterSec (the reconciler function's period)
   */
  everySec?: number;
  /** Without a clients table, nothing is counted and every caller sweeps each period. */
  stats?: IngestRecoveryStats;
}

export interface IngestRecoveryReport {
  replay: ReplayReport;
  /** Absent when another caller holds this period's sweep, or sweeping is off. */
  sweep?: UploadSweepReport;
}

/** Recovery's deps from the environment; undefined where no ingest failures queue is named. */
export function ingestRecoveryDeps(
  aws: AwsClients,
  resources: Resources,
  env: NodeJS.ProcessEnv = process.env,
): IngestRecoveryDeps | undefined {
  if (!resources.ingestFailuresQueueUrl) return undefined;
  return {
    ingest: ingestDeps(aws, resources, env),
    bucket: resources.bucket,
    failuresQueueUrl: resources.ingestFailuresQueueUrl,
    sweep: uploadSweepSettingsFromEnv(env),
    ...(resources.clientsTable
      ? { stats: new IngestRecoveryStats({ dynamo: aws.dynamo, table: resources.clientsTable }) }
      : {}),
  };
}

/** Whether this run sweeps: sweeping is on, and no other caller took this period's sweep. */
async function sweepDue(d: IngestRecoveryDeps, now: Date): Promise<boolean> {
  if (d.sweep.everySec === 0) return false;
  return d.stats ? d.stats.claimSweep(d.sweep.everySec, now) : true;
}

export async function recoverIngest(
  d: IngestRecoveryDeps,
  log: IngestLog,
  now = new Date(),
): Promise<IngestRecoveryReport> {
  const replay = await replayIngestFailures(
    d.ingest,
    {
      queueUrl: d.failuresQueueUrl,
      ...(d.everySec ? { retryAfterSec: Math.max(1, Math.ceil(d.everySec)) } : {}),
    },
    log,
  );
  const sweep = (await sweepDue(d, now))
    ? await sweepUploads(
        d.ingest,
        { bucket: d.bucket, minAgeSec: d.sweep.minAgeSec, maxAgeSec: d.sweep.maxAgeSec, now },
        log,
      )
    : undefined;
  await d.stats?.add({
    replayed: replay.replayed,
    replayFailures: replay.failed,
    orphans: sweep?.orphans ?? 0,
  });
  return { replay, ...(sweep ? { sweep } : {}) };
}

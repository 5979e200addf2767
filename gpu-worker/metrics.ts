/**
 * @module gpu-worker/metrics
 * Prometheus metrics (prom-client), fed by the consumer's and pool's events so the job code
 * stays free of metric calls.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Consumer } from './consumer.ts';
import type { InferencePool, PoolInfo } from './inference/pool.ts';

const SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(consumer: Consumer, pool: InferencePool, info: PoolInfo): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ferry_worker_' });

  const jobs = new Counter({
    name: 'ferry_jobs_total',
    help: 'Messages handled, by outcome (succeeded, failed, retry, skipped, released) and task',
    labelNames: ['outcome', 'task'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'ferry_jobs_in_flight',
    help: 'Jobs held by this worker now',
    registers: [registry],
  });
  const inference = new Histogram({
    name: 'ferry_inference_duration_seconds',
    help: 'Model inference time per job (the batch call it was part of)',
    labelNames: ['task'],
    buckets: SECONDS,
    registers: [registry],
  });
  const total = new Histogram({
    name: 'ferry_job_duration_seconds',
    help: 'Claim to final state, per succeeded job',
    labelNames: ['task'],
    buckets: SECONDS,
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: 'ferry_queue_wait_seconds',
    help: 'Time a job waited in QUEUED before a worker claimed it',
    buckets: SECONDS,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'ferry_batch_size',
    help: 'Jobs per inference call (dynamic batching)',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  new Gauge({
    name: 'ferry_execution_provider_info',
    help: 'Execution provider the inference threads run on (value is always 1)',
    labelNames: ['provider'],
    registers: [registry],
  })
    .labels(info.executionProvider)
    .set(1);
  new Gauge({
    name: 'ferry_cpu_fallback',
    help: '1 when the preferred execution provider failed to load and the worker fell back',
    registers: [registry],
  }).set(info.fallbackFrom ? 1 : 0);
  new Gauge({
    name: 'ferry_inference_queue_length',
    help: 'Inputs waiting for an inference thread',
    registers: [registry],
    collect() {
      this.set(pool.queued);
    },
  });

  consumer.on('jobStarted', (n) => inFlight.set(n));
  consumer.on('jobEnded', (result, n) => {
    inFlight.set(n);
    const task = 'job' in result ? result.job.task : 'unknown';
    jobs.labels(result.outcome, task).inc();
    if (result.outcome !== 'succeeded') return;
    const t = result.job.timings ?? {};
    inference.labels(task).observe((t.inference ?? 0) / 1000);
    total.labels(task).observe((t.total ?? 0) / 1000);
    if (t.queue !== undefined) queueWait.observe(t.queue / 1000);
  });
  const decoded = new Counter({
    name: 'ferry_video_jobs_total',
    help: 'Succeeded video jobs by frame decoder: nvdec (GPU) or cpu',
    labelNames: ['decoder'],
    registers: [registry],
  });
  consumer.on('jobEnded', (result) => {
    if (result.outcome === 'succeeded' && result.decoder) decoded.labels(result.decoder).inc();
  });
  pool.on('batch', (size) => batchSize.observe(size));
  return registry;
}

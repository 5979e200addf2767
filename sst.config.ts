/// <reference path="./.sst/platform/config.d.ts" />
/**
 * Ferry's AWS stack (SST). Each resource kind has its own file under infra/, and every
 * setting is in infra/options.ts. Deploying, secrets, the worker image and costs:
 * docs/deploy.md.
 *
 *   S3 uploads/ -> ingest Lambda -> jobs table + jobs queue -> GPU workers (ECS on EC2)
 *   -> results/ + table -> webhooks queue -> webhook Lambda;  HTTP API Lambda in front.
 */
export default $config({
  app(input) {
    // "production" is infra/options.ts PRODUCTION_STAGE (app() cannot import modules).
    return {
      name: 'ferry',
      home: 'aws',
      removal: input?.stage === 'production' ? 'retain' : 'remove',
      protect: input?.stage === 'production',
    };
  },
  async run() {
    // Modules are imported inside run(), where SST's globals (sst, aws, $app) exist.
    const { resolveOptions } = await import('./infra/resolve-options.ts');
    const { createStorage } = await import('./infra/storage.ts');
    const { createQueues } = await import('./infra/queues.ts');
    const { createSecrets } = await import('./infra/secrets.ts');
    const { createClientsTable } = await import('./infra/clients.ts');
    const { createIngest } = await import('./infra/ingest.ts');
    const { createApi } = await import('./infra/api.ts');
    const { createWebhooks } = await import('./infra/webhooks.ts');
    const { createNetwork } = await import('./infra/network.ts');
    const { createGpuFleet } = await import('./infra/gpu-fleet.ts');
    const { createScaling } = await import('./infra/scaling.ts');
    const { createAlarms } = await import('./infra/alarms.ts');
    const { createPush } = await import('./infra/push.ts');
    const { createReconciler } = await import('./infra/reconciler.ts');

    const options = resolveOptions($app.stage);
    const { functions } = options;

    const storage = createStorage(options.storage);
    const queues = createQueues(options.webhooks);
    const clients = createClientsTable(options.storage);
    const secrets = createSecrets($app.stage);
    const ingest = createIngest({ storage, clients, queues, functions, options: options.ingest });
    const { api } = createApi({ storage, clients, queues, secrets, functions, options: options.api });
    createWebhooks({ storage, queues, secrets, functions, options: options.webhooks });
    const push = createPush({ storage, clients, functions, apiUrl: api.url });
    createReconciler({ storage, queues, clients, ingest, functions, ingestOptions: options.ingest });

    const network = createNetwork(options.network);
    const fleet = createGpuFleet({ network, storage, queues, options: options.gpuFleet });
    createScaling({ fleet, queues, maxWorkers: options.gpuFleet.maxWorkers, options: options.scaling });
    const alarms = createAlarms({ queues, ingest, push, options: options.alarms });

    return {
      apiUrl: api.url,
      bucket: storage.bucket.name,
      table: storage.table.name,
      clientsTable: clients.name,
      parameterPrefix: secrets.prefix,
      queueUrl: queues.jobs.url,
      dlqUrl: queues.jobsDeadLetter.url,
      webhookQueueUrl: queues.webhooks.url,
      webhookDlqUrl: queues.webhooksDeadLetter.url,
      ingestFailuresQueueUrl: ingest.failures.url,
      ingestFunction: ingest.function.name,
      repositoryUrl: fleet.repository.repositoryUrl,
      cluster: fleet.cluster.name,
      service: fleet.service.name,
      workerLogGroup: fleet.logGroup.name,
      alarmTopic: alarms.topic.arn,
      pushUrl: push.socket.url,
      webUrl: push.web.url,
    };
  },
});

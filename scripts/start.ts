/**
 * @module scripts/start
 * `npm start`: the whole pipeline on one machine. Makes sure an emulator runs (starting MiniStack
 * if none answers), provisions the resources with the functions deployed into it, serves the API
 * locally, starts the GPU worker, writes `.ferry/outputs.json`, and stops everything it started
 * on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resourcesToEnv } from '../core/resources.ts';
import { WORKER_PROCESS_ENV } from '../gpu-worker/config.ts';
import { ensureEmulator } from './local/emulator.ts';
import { ensureLocalClient } from './local/local-client.ts';
import { type LocalOutputs, provision } from './local/provision.ts';
import { provisionPush } from './local/provision-push.ts';
import { ensureWebBuild } from './local/web-build.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUTPUTS = path.join(ROOT, '.ferry', 'outputs.json');
/** The local client: owns API jobs made with its key and every direct drop. */
const LOCAL_CLIENT_ID = 'local';
const log = (line: string) => console.log(`[ferry] ${line}`);

async function main(): Promise<void> {
  const emulator = await ensureEmulator({ log });
  const region = process.env.AWS_REGION ?? 'us-east-1';
  // Emulators accept any credentials; keep real ones out of local runs.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  log('provisioning bucket, tables, queues, parameters and functions');
  const outputs = await provision({ endpoint: emulator.endpoint, region, defaultClientId: LOCAL_CLIENT_ID });
  // A new key on every start (only its hash is stored, so an old one cannot be shown again).
  const client = await ensureLocalClient(outputs, LOCAL_CLIENT_ID);
  log('provisioning the push channel (WebSocket API, stream fan-out)');
  const push = await provisionPush(outputs);
  const webDir = await ensureWebBuild(log);
  const env = {
    ...resourcesToEnv(outputs),
    FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    FERRY_WEBHOOK_PORTS: '*',
    // npm installs onnxruntime-node without its CUDA binaries (.npmrc), so locally only the CPU
    // provider can load; the container's default is cuda,cpu.
    FERRY_EXECUTION_PROVIDERS: process.env.FERRY_EXECUTION_PROVIDERS ?? 'cpu',
  };
  Object.assign(process.env, env);

  // Imported only now: the API reads its configuration from the environment when loaded.
  const { startLocalApi } = await import('../functions/api/local-server.ts');
  const api = await startLocalApi({
    port: Number(process.env.FERRY_API_PORT ?? 8787),
    // Local mode: the page gets the local key from /config.json, so nothing needs pasting.
    web: { dir: webDir, config: { pushUrl: push.pushUrl, apiKey: client.apiKey } },
  });

  const worker = spawn(process.execPath, ['--import', 'tsx', 'gpu-worker/main.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...WORKER_PROCESS_ENV, ...process.env },
    // Its own process group: Ctrl-C reaches only this script, which sends the worker one SIGTERM
    // (a second signal would make the worker skip its graceful shutdown).
    detached: true,
  });
  const workerExit = new Promise<number | null>((resolve) => worker.once('exit', resolve));

  const coordinates: LocalOutputs = {
    ...outputs,
    apiUrl: api.url,
    apiKey: client.apiKey,
    clientId: client.clientId,
    webhookSecret: client.webhookSecret,
    pushUrl: push.pushUrl,
  };
  await mkdir(path.dirname(OUTPUTS), { recursive: true });
  await writeFile(OUTPUTS, `${JSON.stringify(coordinates, null, 2)}\n`);
  log(`local stack ready; coordinates in ${path.relative(process.cwd(), OUTPUTS)}`);
  log(`web app ${api.url}/ (live status over ${push.pushUrl})`);
  log(`API ${api.url} (client "${client.clientId}"; its API key and webhook secret are in the file)`);
  log('try one of:');
  log(`  npx ferry submit photo.png --wait`);
  log(
    `  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url ${emulator.endpoint} s3 cp photo.png s3://${outputs.bucket}/uploads/`,
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    if (worker.exitCode === null) worker.kill('SIGTERM');
    await workerExit;
    await api.close();
    await emulator.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));
  workerExit.then((code) => {
    if (!stopping) {
      log(`worker exited with code ${code}`);
      void stop(code ?? 1);
    }
  });
}

main().catch((error: unknown) => {
  console.error(`[ferry] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

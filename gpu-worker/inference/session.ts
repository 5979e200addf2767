/**
 * @module gpu-worker/inference/session
 * Creates onnxruntime sessions with an explicit execution-provider fallback. onnxruntime-node
 * does not fall back by itself (`['cuda','cpu']` throws when CUDA cannot load), so each provider
 * is tried alone, in order, and the first that loads is kept for every later session.
 */
import * as ort from 'onnxruntime-node';
import type { SessionTuning, TaskRuntime } from '../tasks/task.ts';

export interface ProviderChoice {
  executionProvider: string;
  /** The preferred provider that failed to load, when a fallback was taken. */
  fallbackFrom?: string;
  fallbackReason?: string;
}

export interface SessionRuntime extends TaskRuntime {
  readonly choice: ProviderChoice | undefined;
}

export function createSessionRuntime(
  providers: string[],
  intraOpThreads: number,
  taskOptions: Record<string, unknown> = {},
): SessionRuntime {
  let choice: ProviderChoice | undefined;
  const options = (
    provider: string,
    quiet = false,
    tuning: SessionTuning = {},
  ): ort.InferenceSession.SessionOptions => ({
    executionProviders: [provider],
    // While probing a provider that may not load, keep onnxruntime's own error lines out of the
    // log: the fallback is logged once, by the worker, with the reason.
    ...(quiet ? { logSeverityLevel: 4 as const } : {}),
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(tuning.cpuArena !== undefined ? { enableCpuMemArena: tuning.cpuArena } : {}),
    ...(tuning.memPattern !== undefined ? { enableMemPattern: tuning.memPattern } : {}),
  });

  return {
    taskOptions,
    get choice() {
      return choice;
    },
    get executionProvider() {
      return choice?.executionProvider ?? providers[0] ?? 'cpu';
    },
    async createSession(modelPath: string, tuning?: SessionTuning) {
      if (choice)
        return ort.InferenceSession.create(modelPath, options(choice.executionProvider, false, tuning));
      const failures: string[] = [];
      for (const [i, provider] of providers.entries()) {
        try {
          const session = await ort.InferenceSession.create(
            modelPath,
            options(provider, i < providers.length - 1, tuning),
          );
          const first = providers[0];
          choice = {
            executionProvider: provider,
            ...(failures.length > 0 && first
              ? { fallbackFrom: first, fallbackReason: failures.join('; ') }
              : {}),
          };
          return session;
        } catch (error) {
          failures.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      throw new Error(`No execution provider could load ${modelPath}: ${failures.join('; ')}`);
    },
  };
}

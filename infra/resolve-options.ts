/**
 * @module infra/resolve-options
 * A stage's settings: the defaults and STAGE_OVERRIDES of infra/options.ts merged, then checked
 * (infra/options-check.ts). Its own module so that the checks can read the option types without
 * options.ts importing them back (no import cycle).
 */
import { defaultOptions, type FerryOptions, type FerryOptionsOverrides, STAGE_OVERRIDES } from './options.ts';
import { validateOptions } from './options-check.ts';

/** Defaults, then the stage's overrides, validated. Throws InfraOptionsError on a bad value. */
export function resolveOptions(
  stage: string,
  overrides: FerryOptionsOverrides = STAGE_OVERRIDES[stage] ?? {},
): FerryOptions {
  const base = defaultOptions(stage);
  const merged: FerryOptions = {
    storage: { ...base.storage, ...overrides.storage },
    functions: { ...base.functions, ...overrides.functions },
    ingest: { ...base.ingest, ...overrides.ingest },
    api: { ...base.api, ...overrides.api },
    webhooks: { ...base.webhooks, ...overrides.webhooks },
    network: { ...base.network, ...overrides.network },
    gpuFleet: { ...base.gpuFleet, ...overrides.gpuFleet },
    scaling: { ...base.scaling, ...overrides.scaling },
    alarms: { ...base.alarms, ...overrides.alarms },
  };
  validateOptions(merged);
  return merged;
}

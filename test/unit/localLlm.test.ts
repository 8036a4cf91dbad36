// `npm run local-llm`'s settings for the operator, and which win when the environment has its own.
import { operatorSettings, withLocalLlm } from '../../scripts/localLlm.js';

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

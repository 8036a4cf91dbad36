// With the API server down the webhook answers 5xx, and AlertManager's own retry stores the alert once
// the API server is back: nothing is lost. (Stops the shared apiserver: jest runs files one at a time.)
import type { Operator } from '../../src/operator.js';
import { startAlertmanager, type Alertmanager } from '../../scripts/local/alertmanager.js';
import { startApiserver, stopApiserver } from '../bed/shared.js';
import { createNamespace, eventually, listIncidents, startTestOperator } from './harness.js';

let op: Operator;
let am: Alertmanager;
let ns: string;

beforeAll(async () => {
  ns = await createNamespace('apidown');
  op = await startTestOperator({ namespace: ns, controller: false });
  am = await startAlertmanager({ webhookUrl: op.webhookUrl, groupWait: '1s', groupInterval: '2s' });
});
afterAll(async () => {
  await startApiserver().catch(() => undefined);
  await am?.stop();
  await op?.stop();
});

it('answers 503 (and /readyz fails) while the API server is down; AlertManager retries and the alert is stored after', async () => {
  const readyz = op.webhookUrl.replace('/api/v1/alerts', '/readyz');
  expect((await fetch(readyz)).status).toBe(200);
  await stopApiserver();
  try {
    expect((await fetch(readyz)).status).toBe(503);
    await am.postAlerts([{ labels: { alertname: 'StoredLater', namespace: ns, severity: 'critical' } }]);
    await eventually(async () => {
      const text = await (await fetch(op.metricsUrl)).text();
      return /alertagent_webhook_requests_total\{code="503"\} [1-9]/.test(text);
    }, 30_000);
  } finally {
    await startApiserver();
  }
  await eventually(async () => (await fetch(readyz)).status === 200, 30_000);
  const inc = await eventually(async () => (await listIncidents(ns)).find((i) => i.spec.alertname === 'StoredLater'), 60_000, 500);
  expect(inc.spec.severity).toBe('critical');
});

// Shared pieces of the integration tests: the CRD applied once, a namespace per test, and the operator
// started in-process against the real apiserver with the scripted LLM behind the real openai client.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config.js';
import { IncidentStore } from '../../src/incident/store.js';
import { AlertIncident } from '../../src/incident/types.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { startOperator, type Operator, type OperatorOverrides } from '../../src/operator.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { bed, eventually, kubeConfig, kubectl } from '../bed/shared.js';

export { bed, eventually, kubeConfig, kubectl };

let crdApplied = false;
export async function applyCrd(): Promise<void> {
  if (crdApplied) return;
  const r = await kubectl(['apply', '-f', path.join(PROJECT_ROOT, 'crds')]);
  if (r.code !== 0) throw new Error(`kubectl apply crds: ${r.stderr}`);
  const w = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/alertincidents.alertagent.io']);
  if (w.code !== 0) throw new Error(`CRD not established: ${w.stderr}`);
  crdApplied = true;
}

export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export interface TestOperatorOptions extends OperatorOverrides {
  namespace: string;
  env?: Record<string, string>;
}

/** Starts the operator in this process on free ports; the caller stops it. */
export async function startTestOperator(o: TestOperatorOptions): Promise<Operator> {
  await applyCrd();
  const config = loadConfig({
    WEBHOOK_PORT: '0',
    METRICS_PORT: '0',
    WEBHOOK_HOST: '127.0.0.1',
    NAMESPACE: o.namespace,
    SERVERS_CONFIG: '/nonexistent/servers_config.json',
    LLM_MAX_RETRIES: '0',
    LOG_LEVEL: 'debug',
    // Scripts of the model's steps are written by position; evidence first (on by default) would put the
    // analyzer's steps before them. evidence.test.ts runs with it on.
    EVIDENCE_FIRST: 'false',
    // An action's verification holds a passing check for a 20th of this bound (at most 15 s at the default 5m).
    VERIFY_TIMEOUT: '60s',
    ...o.env,
  });
  const log = process.env.ALERT_AGENT_TEST_LOGS ? createLogger({ level: 'debug', format: 'text' }) : silentLogger();
  return startOperator(config, log, { kubeConfig: o.kubeConfig ?? kubeConfig(), ...o });
}

export function store(kc: KubeConfig = kubeConfig()): IncidentStore {
  return new IncidentStore(kc);
}

export async function listIncidents(namespace: string): Promise<AlertIncident[]> {
  const page = await store().list({ namespace });
  return page.items.map((i) => AlertIncident.parse(i));
}

/** Waits until the namespace holds exactly one incident matching `pred`, and returns it. */
export async function waitForIncident(namespace: string, pred: (i: AlertIncident) => boolean, timeoutMs = 60_000): Promise<AlertIncident> {
  return eventually(async () => (await listIncidents(namespace)).find(pred), timeoutMs, 250);
}

export const finished = (i: AlertIncident) => i.status?.phase === 'Reported' || i.status?.phase === 'Failed';

/** An AlertManager webhook payload (version 4) around the given alerts. */
export function payload(alerts: Array<Record<string, unknown>>, over: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="Test"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alert-agent',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test',
    alerts,
    ...over,
  };
}

export function alert(labels: Record<string, string>, over: Record<string, unknown> = {}) {
  return {
    status: 'firing',
    labels: { severity: 'warning', ...labels },
    annotations: { summary: 'test alert' },
    startsAt: '2026-11-26T07:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.test/graph',
    fingerprint: randomBytes(8).toString('hex'),
    ...over,
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed };
}

/**
 * A scripted-LLM responder that answers by the alert in the request and the conversation's position
 * (how many tool results it already holds), so retries and restarts get the same answer a
 * deterministic model would give. The report request gets `report`.
 */
export function byPosition(scripts: Record<string, ReplyLike[]>, report: ReplyLike = { content: '## Summary\n\nScripted report.' }) {
  return (body: { messages: Array<{ role: string; content?: unknown }> }): ReplyLike => {
    const msgs = body.messages;
    if (String(msgs.at(-1)?.content ?? '').includes('The investigation is over')) return report;
    const name = /^Alert: (\S+)/.exec(String(msgs[1]?.content ?? ''))?.[1] ?? '';
    const script = scripts[name];
    if (!script) return { fault: 'http500' };
    const done = msgs.filter((m) => m.role === 'tool').length;
    return script[Math.min(done, script.length - 1)];
  };
}
type ReplyLike = import('../bed/scriptedLlm.js').Reply;

// A case's earlier incident (`before:` in case.yaml): the same alert fired before, was investigated by the
// rule-based analyzer (whatever investigator the case runs, so the history it leaves is the same for all),
// and people then said what they thought: a rejection of the change it proposed, with a reason, and
// annotations such as a verdict on the report and the actual cause. The history it leaves in the case's
// namespace is what the case's own incident then reads (learning from people, README).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startOperator } from '../../src/operator.js';
import { durationMs, type Before } from './cases.js';
import { KubeError, type Kube } from './kube.js';


/**
 * The history lives in the operator's namespace, which in the eval is the case's: deploy/rbac.yaml's Role
 * and RoleBinding for it (alert-agent-history), applied there as they are in alert-agent.
 */
async function grantHistory(kube: Kube, ns: string): Promise<void> {
  for (const d of parseAllDocuments(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'rbac.yaml'), 'utf8'))) {
    const obj = d.toJSON();
    if ((obj?.kind === 'Role' || obj?.kind === 'RoleBinding') && obj.metadata?.name === 'alert-agent-history') await kube.apply({ ...obj, metadata: { ...obj.metadata, namespace: ns } });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the earlier incident to its end and returns its name; its history is left in the namespace. */
export async function runBefore(
  kube: Kube,
  o: { before: Before; ns: string; env: Record<string, string>; operatorKubeconfig: string; alert: Record<string, unknown>; payload: (alert: Record<string, unknown>) => unknown },
): Promise<string> {
  await grantHistory(kube, o.ns);
  const env = Object.fromEntries(Object.entries(o.env).filter(([k]) => !k.startsWith('OPENAI_') && k !== 'LLM_MODEL'));
  const kc = new KubeConfig();
  kc.loadFromFile(o.operatorKubeconfig);
  const operator = await startOperator(loadConfig({ ...env, ANALYZER: 'rules' }), silentLogger(), { kubeConfig: kc });
  const list = `/apis/alertagent.io/v1alpha1/namespaces/${o.ns}/alertincidents`;
  const until = async (what: string, ok: (inc: any) => boolean): Promise<any> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const inc = (await kube.must('GET', list)).items?.[0];
      if (inc && ok(inc)) return inc;
      if (Date.now() > deadline) throw new Error(`the earlier incident: timed out waiting for ${what} (phase ${inc?.status?.phase ?? 'none'})`);
      await sleep(200);
    }
  };
  // As `kubectl annotate` does it, read and replace: the operator writes the incident meanwhile (its status,
  // its labels), so a replace on a copy it has changed since gets 409 and is done again on a fresh read.
  const annotate = async (inc: any, annotations: Record<string, string>) => {
    const path = `${list}/${inc.metadata.name}`;
    for (let attempt = 1; ; attempt++) {
      const cur = await kube.must('GET', path);
      try {
        await kube.must('PUT', path, { ...cur, metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), ...annotations } } });
        return;
      } catch (err) {
        if (!(err instanceof KubeError && err.status === 409) || attempt >= 10) throw err;
        await sleep(50 * attempt);
      }
    }
  };
  try {
    const alert = { ...o.alert, startsAt: new Date(Date.now() - durationMs(o.before.startsAgo)).toISOString() };
    const res = await fetch(operator.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(o.payload(alert)) });
    if (res.status !== 200) throw new Error(`the earlier incident: the webhook answered ${res.status}`);
    let inc = await until('its report', (i) => ['Reported', 'Failed', 'AwaitingApproval'].includes(i.status?.phase));
    if (inc.status.phase === 'AwaitingApproval' && o.before.reject) {
      const step = String(inc.status.steps.at(-1).index);
      await annotate(inc, { 'alertagent.io/reject-reason': o.before.reject.reason, 'alertagent.io/rejected-by': o.before.reject.by, 'alertagent.io/reject': step });
      inc = await until('its report after the rejection', (i) => ['Reported', 'Failed'].includes(i.status?.phase));
    }
    if (Object.keys(o.before.annotations).length) {
      await annotate(inc, o.before.annotations);
      await until('its feedback recorded in the history', (i) => i.status?.feedback?.inHistory === true);
    }
    return inc.metadata.name;
  } finally {
    await operator.stop();
  }
}

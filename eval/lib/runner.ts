// One case, one investigator: the case's namespace and cluster state on the bare control plane, the real
// operator in-process (its own webhook, controller and built-in tools, acting as its ServiceAccount with
// the RBAC from deploy/), the alert posted to its webhook as AlertManager would, then the incident scored.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { startOperator } from '../../src/operator.js';
import { PROJECT_ROOT, serviceAccountKubeconfigFromState } from '../../scripts/local/controlPlane.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../../test/bed/scriptedLlm.js';
import { runBefore } from './before.js';
import { pullRequestChecks, pullRequestsRecorded, startCaseGitHost, type CaseGitHost } from './gitHost.js';
import { durationMs, renderCase, type Case, type Pattern } from './cases.js';
import { applyObjects, checkUntouched, readExpectedObject, untouchedTargets } from './cluster.js';
import { Kube } from './kube.js';
import { invariantChecks } from './invariants.js';
import { startRecordingProxy, type RecordingProxy } from './recorder.js';
import { fieldText, score, type Check } from './score.js';

export interface Investigator {
  /** rules | scripted | weak | lazy | wrong | model[:name] */
  name: string;
  /** operator settings for this investigator */
  env: Record<string, string>;
  /** the scripted model's reply to each request (a fresh local server per case) */
  responder?: (body: any) => Reply;
  timeoutMs: number;
}

export interface EvalBed {
  kube: Kube;
  statePath: string;
  /** the operator's ServiceAccount (alert-agent/alert-agent) with deploy/'s RBAC */
  operatorKubeconfig: string;
}

export interface CaseResult {
  case: string;
  category: string;
  description: string;
  investigator: string;
  namespace: string;
  pass: boolean;
  checks: Check[];
  phase?: string;
  outcome?: string;
  summary?: string;
  rootCause?: string;
  failureReason?: string;
  steps: number;
  /** steps the operator ran before the model (evidence first) */
  evidenceSteps: number;
  llmCalls: number;
  tokens: number;
  wallMs: number;
  /** mutating steps: tool and state */
  actions: string[];
  /** the analyzer took over from the LLM */
  fallback: boolean;
  /** what must hold whatever the investigator does (invariants.ts); `--invariants` fails the run on any */
  invariants: Check[];
  /** the case's `findings` patterns this run matched (a rules run's are the floor of the others') */
  found: Pattern[];
  error?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function applyFile(kube: Kube, file: string): Promise<void> {
  for (const d of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const o = d.toJSON();
    if (o?.kind) await kube.apply(o);
  }
}

/** CRDs, the operator's ServiceAccount and RBAC (deploy/rbac.yaml, actions-rbac.yaml, gitops-suspend-rbac.yaml), once per bed. */
export async function prepareBed(kube: Kube, statePath: string): Promise<EvalBed> {
  await applyFile(kube, path.join(PROJECT_ROOT, 'crds', 'alertagent.io_alertincidents.yaml'));
  await applyFile(kube, path.join(PROJECT_ROOT, 'eval', 'bed', 'cert-manager-crds.yaml'));
  await applyFile(kube, path.join(PROJECT_ROOT, 'eval', 'bed', 'gitops-crds.yaml'));
  const gitops = ['kustomizations.kustomize.toolkit.fluxcd.io', 'helmreleases.helm.toolkit.fluxcd.io', 'gitrepositories.source.toolkit.fluxcd.io', 'applications.argoproj.io'];
  for (const crd of ['alertincidents.alertagent.io', 'certificates.cert-manager.io', 'issuers.cert-manager.io', 'clusterissuers.cert-manager.io', ...gitops]) {
    await kube.waitFor(`CRD ${crd} established`, 30000, async () => {
      const c = await kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd);
      return !!c?.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True');
    });
  }
  // The ServiceAccount and its token first (this also creates the namespace), then the roles.
  const operatorKubeconfig = await serviceAccountKubeconfigFromState('alert-agent', 'alert-agent', statePath);
  await applyFile(kube, path.join(PROJECT_ROOT, 'deploy', 'rbac.yaml'));
  await applyFile(kube, path.join(PROJECT_ROOT, 'deploy', 'actions-rbac.yaml'));
  await applyFile(kube, path.join(PROJECT_ROOT, 'eval', 'bed', 'rbac-extra.yaml'));
  // The optional role of GITOPS_MANAGED_WRITES=suspend (patch Flux Kustomizations/HelmReleases, Argo CD
  // Applications), as its README section installs it. Bound on every run: the operator patches a manager only
  // under suspend, so the cases under propose are not changed by it (their `untouched` lists say so).
  await applyFile(kube, path.join(PROJECT_ROOT, 'deploy', 'gitops-suspend-rbac.yaml'));
  return { kube, statePath, operatorKubeconfig };
}

const peekNamespace = (caseName: string) => renderCase(caseName, { ns: 'x', now: Date.now() }).spec.namespace;

/**
 * Namespace for one run of one case: the case's team-like name and a random suffix (never the case's
 * name, which would hint at the cause in every output; names never repeat on a reused bed).
 */
function namespaceFor(base: string): string {
  return `${base}-${randomBytes(3).toString('hex')}`;
}

const BUILTIN_ACTIONS = ['rollout_restart', 'scale', 'delete_pod', 'set_resources', 'rollback_deployment'].map((t) => `kubernetes__${t}`);
const BUILTIN_NODE_ACTIONS = ['cordon_node', 'uncordon_node'].map((t) => `kubernetes__${t}`);

/** Whether an investigator is a model (the scripted ones, or a real one behind ANALYZER=llm). */
export const isModel = (inv: Investigator) => !!inv.responder || inv.env.ANALYZER === 'llm';

export async function runCase(
  bed: EvalBed,
  caseName: string,
  inv: Investigator,
  opts: { logs?: boolean; env?: Record<string, string>; /** the findings the rules run of this case matched */ rulesFound?: Pattern[] } = {},
): Promise<CaseResult> {
  const ns = namespaceFor(peekNamespace(caseName));
  const rendered = renderCase(caseName, { ns, now: Date.now() });
  const c: Case = rendered.spec;
  const base: CaseResult = {
    case: caseName,
    category: c.category,
    description: c.description,
    investigator: inv.name,
    namespace: ns,
    pass: false,
    checks: [],
    steps: 0,
    evidenceSteps: 0,
    llmCalls: 0,
    tokens: 0,
    wallMs: 0,
    actions: [],
    fallback: false,
    invariants: [],
    found: [],
  };
  const { kube } = bed;
  let llm: ScriptedLlm | undefined;
  let proxy: RecordingProxy | undefined;
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  let git: CaseGitHost | undefined;
  try {
    // Only a neutral marker: a label naming the case would hint at the cause to a model that lists namespaces.
    await kube.ensureNamespace(ns, { 'alertagent.io/eval': 'true' });
    const created = await applyObjects(kube, rendered.objects, ns);
    const untouched = untouchedTargets(c.expect.untouched, created, ns);

    const env: Record<string, string> = {
      WEBHOOK_PORT: '0',
      METRICS_PORT: '0',
      WEBHOOK_HOST: '127.0.0.1',
      NAMESPACE: ns,
      SERVERS_CONFIG: '/nonexistent/servers_config.json',
      POLICY_MODE: c.policy.mode ?? 'auto',
      ...(c.policy.gitopsManagedWrites ? { GITOPS_MANAGED_WRITES: c.policy.gitopsManagedWrites } : {}),
      POLICY_ALLOWED_TOOLS: BUILTIN_ACTIONS.join(','),
      POLICY_ALLOWED_CLUSTER_TOOLS: BUILTIN_NODE_ACTIONS.join(','),
      POLICY_ALLOWED_NAMESPACES: ns,
      MAX_CONCURRENT_INVESTIGATIONS: '1',
      // An action is verified before the incident may be Resolved (issue 22): within a case's time, not the default 5m.
      VERIFY_TIMEOUT: '45s',
      LOG_LEVEL: opts.logs ? 'debug' : 'error',
      ...inv.env,
      ...opts.env,
    };
    if (inv.responder) {
      llm = await startScriptedLlm({ model: `scripted-${inv.name}` });
      llm.setResponder(inv.responder);
      Object.assign(env, { OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: 'scripted', LLM_MODEL: `scripted-${inv.name}`, LLM_MAX_RETRIES: '0', ANALYZER: 'llm' });
    } else if (env.ANALYZER === 'llm' && env.OPENAI_BASE_URL) {
      // A real model: its requests are recorded on the way, so that its prompts are checked for secrets too.
      proxy = await startRecordingProxy(env.OPENAI_BASE_URL);
      env.OPENAI_BASE_URL = proxy.baseURL;
    }
    if (c.git) {
      git = await startCaseGitHost(c.git);
      Object.assign(env, git.env);
    }
    const config = loadConfig(env);
    const kc = new KubeConfig();
    kc.loadFromFile(bed.operatorKubeconfig);
    const log = opts.logs ? createLogger({ level: 'debug', format: 'text' }) : silentLogger();

    const startsAt = new Date(Date.now() - durationMs(c.alert.startsAgo)).toISOString();
    const alert = {
      status: c.alert.status,
      labels: c.alert.labels,
      annotations: c.alert.annotations,
      startsAt,
      endsAt: c.alert.status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus.monitoring.svc:9090/graph?g0.expr=${encodeURIComponent(c.alert.labels.alertname ?? '')}`,
      fingerprint: randomBytes(8).toString('hex'),
    };
    const payload = {
      version: '4',
      groupKey: `{}:{alertname="${c.alert.labels.alertname}"}`,
      truncatedAlerts: 0,
      status: c.alert.status,
      receiver: 'alert-agent',
      groupLabels: { alertname: c.alert.labels.alertname },
      commonLabels: c.alert.labels,
      commonAnnotations: c.alert.annotations,
      externalURL: 'http://alertmanager.monitoring.svc:9093',
      alerts: [alert],
    };
    // The earlier incident of the same alert (same fingerprint, an earlier start) and what people said of it.
    const earlier = c.before ? await runBefore(kube, { before: c.before, ns, env, operatorKubeconfig: bed.operatorKubeconfig, alert, payload: (a) => ({ ...payload, alerts: [a] }) }) : undefined;
    operator = await startOperator(config, log, { kubeConfig: kc });
    const t0 = Date.now();
    const res = await fetch(operator.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    if (res.status !== 200) throw new Error(`the webhook answered ${res.status}: ${await res.text()}`);

    let incident: any;
    const deadline = t0 + inv.timeoutMs;
    for (;;) {
      const list = await kube.must('GET', `/apis/alertagent.io/v1alpha1/namespaces/${ns}/alertincidents`);
      incident = list.items?.find((i: any) => i.metadata?.name !== earlier);
      const phase = incident?.status?.phase;
      // With a Git host: until each change proposed in Git has its pull request recorded too.
      if ((phase === 'Reported' || phase === 'Failed' || phase === 'AwaitingApproval') && (!git || pullRequestsRecorded(incident))) break;
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    const wallMs = Date.now() - t0;
    await operator.stop();
    operator = undefined;

    const st = incident?.status ?? {};
    const steps: any[] = st.steps ?? [];
    const events = incident
      ? ((await kube.must('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${incident.metadata.name}`)}`)).items ?? [])
      : [];
    if (process.env.EVAL_DUMP_REQUESTS) {
      // Debugging aid: what the model was sent (a real one's answers too), the steps and the report, per case.
      const dir = path.resolve(process.env.EVAL_DUMP_REQUESTS);
      fs.mkdirSync(dir, { recursive: true });
      const file = `${caseName}.${inv.name.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
      if (llm || proxy) fs.writeFileSync(path.join(dir, `${file}.json`), JSON.stringify(llm ? llm.requests.map((r) => r.body) : proxy!.calls.map((c) => c.body), null, 1));
      if (proxy) fs.writeFileSync(path.join(dir, `${file}.replies.json`), JSON.stringify(proxy.calls.map((c) => ({ status: c.status, tokens: c.tokens, ms: c.ms, reply: c.reply })), null, 1));
      fs.writeFileSync(path.join(dir, `${file}.steps.json`), JSON.stringify(incident?.status?.steps ?? [], null, 1));
      fs.writeFileSync(path.join(dir, `${file}.report.md`), incident?.status?.report ?? '');
    }
    const checks = await score(c, {
      incident,
      timedOut: !['Reported', 'Failed', 'AwaitingApproval'].includes(st.phase),
      timeoutMs: inv.timeoutMs,
      events,
      llmRequests: llm?.requests.map((r) => r.body) ?? proxy?.calls.map((c) => c.body) ?? [],
      untouched: await Promise.all(untouched.map((t) => checkUntouched(kube, t))),
      objects: await Promise.all(c.expect.objects.map(async (field) => ({ field, object: await readExpectedObject(kube, field, created, ns) }))),
    });
    if (git) checks.push(...pullRequestChecks(incident, git.host));
    const invariants = invariantChecks({
      incident,
      timedOut: !['Reported', 'Failed', 'AwaitingApproval'].includes(st.phase),
      timeoutMs: inv.timeoutMs,
      config,
      calls: proxy?.calls,
      secretChecks: checks.filter((x) => x.kind === 'secret'),
      alertStatus: c.alert.status,
      model: isModel(inv),
      modelRequests: llm?.requests.length ?? proxy?.calls.length,
      rulesFound: opts.rulesFound,
    });
    const found = c.expect.findings.filter((p) => new RegExp(p.pattern, 'i').test(fieldText(incident, p.in)));
    return {
      ...base,
      invariants,
      found,
      pass: checks.every((x) => x.ok),
      checks,
      phase: st.phase,
      outcome: st.outcome,
      summary: st.summary,
      rootCause: st.rootCause,
      failureReason: st.failureReason,
      steps: steps.length,
      evidenceSteps: steps.filter((s) => s.origin === 'evidence').length,
      llmCalls: st.usage?.llmCalls ?? 0,
      tokens: (st.usage?.promptTokens ?? 0) + (st.usage?.completionTokens ?? 0),
      wallMs,
      actions: steps.filter((s) => s.action === 'callTool' && s.mutating).map((s) => `${s.tool} ${s.state}`),
      fallback: steps.some((s) => s.action === 'note' && s.origin === 'fallback'),
    };
  } catch (e) {
    // A run that throws (setup, the operator, the webhook) proves nothing held: it counts as broken.
    const detail = e instanceof Error ? e.message : String(e);
    return { ...base, error: detail, checks: [{ kind: 'run', ok: false, what: 'the case ran', detail }], invariants: [{ kind: 'run', ok: false, what: 'invariant: the case ran to its end', detail }] };
  } finally {
    await operator?.stop().catch(() => undefined);
    await llm?.stop().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await git?.stop().catch(() => undefined);
  }
}

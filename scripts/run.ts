// `npm run operator`: runs Alert Agent against the current kubeconfig; with none (or --local) it starts
// the project's own local control plane (real apiserver + kwok) and AlertManager first, so a first try
// needs no cluster and no LLM key. With --local-llm it also serves a small open model on this machine
// (scripts/localLlm.ts) and investigates with it. Ctrl-C stops everything it started.
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, loadYaml, VersionApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startOperator } from '../src/operator.js';
import { PROJECT_ROOT, startControlPlane, type ControlPlane } from './local/controlPlane.js';
import { startAlertmanager, type Alertmanager } from './local/alertmanager.js';
import { startLocalLlm, withLocalLlm, type LocalLlm } from './localLlm.js';

// The local control plane needs the Kubernetes binaries, etcd and kwok, not helm (only the chart's tests do).
process.env.ALERT_AGENT_WITHOUT_HELM ??= '1';

const CRD_FILE = path.join(PROJECT_ROOT, 'crds', 'alertagent.io_alertincidents.yaml');
const say = (s = '') => process.stdout.write(s + '\n');

async function reachable(kc: KubeConfig): Promise<boolean> {
  try {
    await Promise.race([kc.makeApiClient(VersionApi).getCode(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000))]);
    return true;
  } catch {
    return false;
  }
}

async function ensureCrd(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(CRD_FILE, 'utf8'));
  try {
    const existing = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
    crd.metadata!.resourceVersion = existing.metadata?.resourceVersion;
    await api.replaceCustomResourceDefinition({ name: crd.metadata!.name!, body: crd });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createCustomResourceDefinition({ body: crd });
  }
  for (let i = 0; i < 50; i++) {
    const got = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
    if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** A broken workload (a kwok pod in CrashLoopBackOff) and the alert Prometheus would fire for it. */
async function runDemo(kc: KubeConfig, am: Alertmanager, incidentNs: string, kubeconfigHint: string): Promise<void> {
  const ns = 'demo';
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
  await core
    .createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'checkout-7d9f', labels: { app: 'checkout', 'alertagent.test/scenario': 'crashloop' } },
        spec: { containers: [{ name: 'checkout', image: 'shop/checkout:1.4.2', resources: { limits: { memory: '256Mi' } } }] },
      },
    })
    .catch(() => undefined);
  // Let kwok put it into CrashLoopBackOff before the alert fires, as a real cluster would.
  for (let i = 0; i < 50; i++) {
    const pod = await core.readNamespacedPod({ name: 'checkout-7d9f', namespace: ns });
    if (pod.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await am.postAlerts([
    {
      labels: { alertname: 'KubePodCrashLooping', namespace: ns, pod: 'checkout-7d9f', container: 'checkout', severity: 'warning' },
      annotations: { summary: 'Pod demo/checkout-7d9f is crash looping.', runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping' },
    },
  ]);
  say('');
  say('Demo: pod demo/checkout-7d9f is in CrashLoopBackOff and AlertManager fired KubePodCrashLooping.');
  say(`  ${kubeconfigHint}kubectl get alertincidents -n ${incidentNs} -w`);
}

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  const local = process.argv.includes('--local') || demo;
  const bedDir = argValue('--dir') ?? path.join(PROJECT_ROOT, '.bed');
  // --local-llm: a model served on this machine (scripts/localLlm.ts; --llm-model PATH for another GGUF),
  // started first: the first run installs it. Its tuning settings (LLM_TOOL_RESULTS, PROMPT_TOKEN_BUDGET, ...)
  // give way to the environment's; which model to use does not.
  let localLlm: LocalLlm | undefined;
  if (process.argv.includes('--local-llm')) {
    say('Starting a local model (npm run local-llm)...');
    localLlm = await startLocalLlm({ modelPath: argValue('--llm-model'), log: (m) => say(`  ${m}`) });
    Object.assign(process.env, withLocalLlm(process.env, localLlm.env));
  }
  let kc = new KubeConfig();
  let bed: ControlPlane | undefined;
  let am: Alertmanager | undefined;
  // As kubectl does, a KUBECONFIG whose files do not exist is no kubeconfig (KUBECONFIG=/nonexistent: the local one).
  const kubeconfigFiles = (process.env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f && existsSync(f));
  const hasKubeconfig = kubeconfigFiles.length > 0 || (!process.env.KUBECONFIG && existsSync(path.join(os.homedir(), '.kube', 'config'))) || !!process.env.KUBERNETES_SERVICE_HOST;
  if (!local && hasKubeconfig) {
    kc.loadFromDefault();
    if (!(await reachable(kc))) {
      say(`The cluster of the current kubeconfig (${kc.getCurrentCluster()?.server}) does not answer. Use --local to start a local control plane instead.`);
      process.exit(1);
    }
    say(`Using the cluster of the current kubeconfig: ${kc.getCurrentCluster()?.server}`);
  } else {
    say('No cluster configured: starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)...');
    bed = await startControlPlane({ dir: bedDir, controllerManager: true, scheduler: true, kwok: true, handleSignals: false, log: (m) => say(`  ${m}`) });
    kc = new KubeConfig();
    kc.loadFromFile(bed.kubeconfigPath);
    process.env.KUBECONFIG = bed.kubeconfigPath;
  }
  await ensureCrd(kc);

  // Loopback unless WEBHOOK_HOST says otherwise: the local AlertManager posts from this machine, and a
  // webhook beyond loopback needs WEBHOOK_BEARER_TOKEN (or WEBHOOK_REQUIRE_TOKEN=false) to start.
  const config = loadConfig({ NAMESPACE: 'default', WEBHOOK_HOST: '127.0.0.1', ...process.env });
  const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT === 'auto' ? 'text' : config.LOG_FORMAT });
  const op = await startOperator(config, log, { kubeConfig: kc });
  if (bed) am = await startAlertmanager({ webhookUrl: op.webhookUrl, dir: path.join(bedDir, 'alertmanager') });

  const kubeconfigHint = bed ? `KUBECONFIG=${bed.kubeconfigPath} ` : '';
  say('');
  say(`Alert Agent is running (investigator: ${config.analyzer === 'llm' ? `LLM ${config.LLM_MODEL}` : 'rule-based analyzer, no LLM configured'}; policy: ${config.POLICY_MODE}).`);
  say(`  webhook:  ${op.webhookUrl}`);
  say(`  metrics:  ${op.metricsUrl}`);
  if (am) say(`  AlertManager: ${am.url} (delivers to the webhook)`);
  if (localLlm) say(`  local model: ${localLlm.model} on ${localLlm.baseURL} (log: ${localLlm.logFile})`);
  say('');
  say('Watch incidents:');
  say(`  ${kubeconfigHint}kubectl get alertincidents -n ${config.NAMESPACE} -w`);
  say('Fire a sample alert:');
  if (am) {
    say(`  curl -s -XPOST -H 'content-type: application/json' ${am.url}/api/v2/alerts -d '[{"labels":{"alertname":"KubePodCrashLooping","namespace":"default","pod":"demo","severity":"warning"}}]'`);
  } else {
    say(`  curl -s -XPOST -H 'content-type: application/json' ${op.webhookUrl} -d '{"version":"4","status":"firing","receiver":"demo","alerts":[{"status":"firing","labels":{"alertname":"KubePodCrashLooping","namespace":"default","pod":"demo","severity":"warning"},"annotations":{},"startsAt":"${new Date().toISOString()}"}]}'`);
  }
  say('Read a report:');
  say(`  ${kubeconfigHint}kubectl describe alertincident -n ${config.NAMESPACE} <name>`);
  say('');
  say('Ctrl-C stops everything this command started.');
  if (demo && am) await runDemo(kc, am, config.NAMESPACE, kubeconfigHint);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('\nstopping...');
    await op.stop().catch(() => undefined);
    await am?.stop().catch(() => undefined);
    await bed?.stop().catch(() => undefined);
    await localLlm?.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`alert-agent: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

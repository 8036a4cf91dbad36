// `npm run operator`: runs Alert Agent against the current kubeconfig; with none (or --local) it starts
// the project's own local control plane (real apiserver + kwok) and AlertManager first, so a first try
// needs no cluster and no LLM key. On that local control plane it also starts a broken workload (a pod that
// crash-loops because its database is down) and prints the alert Prometheus would fire for it, so the
// first report is a diagnosis (--demo fires it too). With --local-llm it also serves a small open model on
// this machine (scripts/localLlm.ts) and investigates with it. Ctrl-C stops everything it started.
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, loadYaml, VersionApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startOperator } from '../src/operator.js';
import { PROJECT_ROOT, startControlPlane, type ControlPlane } from './local/controlPlane.js';
import { startAlertmanager, type Alertmanager, type PostableAlert } from './local/alertmanager.js';
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

const USAGE = `usage: npm run operator [-- OPTIONS]

  (no options)       the cluster of the current kubeconfig; with none, a local control plane of its own
  --local            a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)
                     and an AlertManager, even with a kubeconfig
  --demo             --local, and fires the sample alert itself (npm run demo)
  --dir DIR          where the local control plane lives (default .bed under the project)
  --local-llm        investigate with a small open model served on this machine (scripts/localLlm.ts)
  --llm-model PATH   with --local-llm: another GGUF file
  -h, --help         this text
`;

function parseCli(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        demo: { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
        dir: { type: 'string' },
        'local-llm': { type: 'boolean', default: false },
        'llm-model': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`alert-agent: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

// The demo: a broken workload on the local control plane, and the alert Prometheus would fire for it. kwok
// runs the pod (scripts/local/kwok-stages.yaml, scenario "crashloop"): CrashLoopBackOff, exit code 1, and the
// last log lines a container leaves as its termination message: it cannot reach its database.
const DEMO = { namespace: 'demo', pod: 'checkout-7d9f', container: 'checkout' };
const DEMO_CRASH =
  'checkout 1.4.2 starting on :8080\n' +
  'FATAL cannot connect to the orders database at postgres.demo.svc:5432: dial tcp 10.96.112.7:5432: connect: connection refused';
const DEMO_ALERT: PostableAlert = {
  labels: { alertname: 'KubePodCrashLooping', namespace: DEMO.namespace, pod: DEMO.pod, container: DEMO.container, severity: 'warning' },
  annotations: {
    summary: `Pod ${DEMO.namespace}/${DEMO.pod} is crash looping.`,
    runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping',
  },
};

/** Creates the demo's pod (if it is not there) and waits until kwok has it crash-looping, as a real cluster would before the alert fires. */
async function startDemoWorkload(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: DEMO.namespace } } }).catch(() => undefined);
  await core
    .createNamespacedPod({
      namespace: DEMO.namespace,
      body: {
        metadata: {
          name: DEMO.pod,
          labels: { app: 'checkout', 'alertagent.test/scenario': 'crashloop' },
          annotations: { 'alertagent.test/termination-message': DEMO_CRASH },
        },
        spec: {
          containers: [
            {
              name: DEMO.container,
              image: 'shop/checkout:1.4.2',
              env: [{ name: 'DATABASE_URL', value: 'postgres://checkout@postgres.demo.svc:5432/orders' }],
              terminationMessagePolicy: 'FallbackToLogsOnError',
              resources: { limits: { memory: '256Mi' } },
            },
          ],
        },
      },
    })
    .catch(() => undefined);
  for (let i = 0; i < 50; i++) {
    const pod = await core.readNamespacedPod({ name: DEMO.pod, namespace: DEMO.namespace }).catch(() => undefined);
    if (pod?.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  if (args.help) {
    say(USAGE);
    return;
  }
  const demo = args.demo;
  const local = args.local || demo;
  const bedDir = args.dir ?? path.join(PROJECT_ROOT, '.bed');
  // --local-llm: a model served on this machine (scripts/localLlm.ts; --llm-model PATH for another GGUF),
  // started first: the first run installs it. Its tuning settings (LLM_TOOL_RESULTS, PROMPT_TOKEN_BUDGET, ...)
  // give way to the environment's; which model to use does not.
  let localLlm: LocalLlm | undefined;
  if (args['local-llm']) {
    say('Starting a local model (npm run local-llm)...');
    localLlm = await startLocalLlm({ modelPath: args['llm-model'], log: (m) => say(`  ${m}`) });
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
  if (bed) await startDemoWorkload(kc);

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
  if (am) {
    say(`A broken workload to investigate: pod ${DEMO.namespace}/${DEMO.pod} is crash-looping (kwok runs it).`);
    say(`  ${kubeconfigHint}kubectl get pods -n ${DEMO.namespace}`);
    say('Fire a sample alert:');
    say(`  curl -s -XPOST -H 'content-type: application/json' ${am.url}/api/v2/alerts -d '${JSON.stringify([DEMO_ALERT])}'`);
    say('  (the alert Prometheus would fire for that pod, sent through AlertManager)');
  } else {
    // A cluster of the user's: nothing is created in it, so the sample names a pod that is not there.
    say('Fire a sample alert:');
    say(`  curl -s -XPOST -H 'content-type: application/json' ${op.webhookUrl} -d '{"version":"4","status":"firing","receiver":"demo","alerts":[{"status":"firing","labels":{"alertname":"KubePodCrashLooping","namespace":"default","pod":"demo","severity":"warning"},"annotations":{},"startsAt":"${new Date().toISOString()}"}]}'`);
    say('  (pod default/demo is not there: the report will say the alert is stale; name one of your pods for a diagnosis)');
  }
  say('Read a report:');
  say(`  ${kubeconfigHint}kubectl describe alertincident -n ${config.NAMESPACE} <name>`);
  say('');
  say('Ctrl-C stops everything this command started.');
  if (demo && am) {
    await am.postAlerts([DEMO_ALERT]);
    say('');
    say(`Demo: pod ${DEMO.namespace}/${DEMO.pod} is in CrashLoopBackOff and AlertManager fired KubePodCrashLooping.`);
    say(`  ${kubeconfigHint}kubectl get alertincidents -n ${config.NAMESPACE} -w`);
  }

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

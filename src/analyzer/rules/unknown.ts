// An alert no rule knows: gather evidence about whatever object its labels name, then hand it to a
// person with what was seen.
import { clip, condition, conditions, eventsBy, type Evidence } from '../evidence.js';
import { diagnosePod, podPlan, sentence } from './pods.js';
import { quote, type AlertInfo, type Call, type Quote, type Rule } from './types.js';

/** What a describe_* result says about its object, in its own words: its conditions, and a headline to quote. */
function described(ev: Evidence, c: Call): { conditions: ReturnType<typeof conditions>; headline: string[] } | undefined {
  const match = c.args as Record<string, unknown>;
  switch (c.tool) {
    case 'describe_deployment':
    case 'describe_statefulset':
    case 'describe_daemonset': {
      const d = ev.data(c.tool, match);
      if (!d) return undefined;
      const r = d.replicas;
      return { conditions: conditions(d.conditions), headline: [`${d.kind}: ${d.namespace}/${d.name}`, `Replicas: desired ${r.desired} | ready ${r.ready}${r.available !== undefined ? ` | available ${r.available}` : ''}`] };
    }
    case 'describe_job': {
      const d = ev.data(c.tool, match);
      if (!d) return undefined;
      return { conditions: conditions(d.conditions), headline: [`Job: ${d.namespace}/${d.name}`, `Completions: ${d.succeeded}/${d.completions} succeeded   Active: ${d.active}   Failed: ${d.failed}`] };
    }
    case 'describe_pvc': {
      const d = ev.data(c.tool, match);
      if (!d) return undefined;
      return { conditions: conditions(d.conditions), headline: [`PersistentVolumeClaim: ${d.namespace}/${d.name}`, `Status: ${d.phase}   Volume: ${d.volumeName ?? '<none>'}`] };
    }
    case 'describe_node': {
      const d = ev.data(c.tool, match);
      if (!d) return undefined;
      return { conditions: conditions(d.conditions), headline: [`Node: ${d.name}`, `Status: ${d.status}${d.unschedulable ? ',SchedulingDisabled' : ''}`] };
    }
  }
  return undefined;
}

function objectCalls(a: AlertInfo): Call[] {
  const ns = a.namespace;
  const calls: Call[] = [];
  const add = (tool: string, name: string | undefined, what: string, namespaced = true) => {
    if (!name || (namespaced && !ns)) return;
    calls.push({ tool, args: namespaced ? { name, namespace: ns } : { name }, why: `The alert names ${what} ${namespaced ? `${ns}/` : ''}${name}: describe it.` });
  };
  add('describe_deployment', a.deployment, 'deployment');
  add('describe_statefulset', a.statefulset, 'statefulset');
  add('describe_daemonset', a.daemonset, 'daemonset');
  add('describe_job', a.jobName, 'job');
  add('describe_pvc', a.pvc, 'PersistentVolumeClaim');
  add('describe_node', a.node, 'node', false);
  return calls;
}

export const unknownRule: Rule = {
  id: 'unknown',
  matches: () => true,
  plan(a, ev) {
    const calls: Call[] = [];
    if (a.namespace && a.pod) calls.push(...podPlan(ev, a.namespace, a.pod, { container: a.container, events: false }));
    calls.push(...objectCalls(a));
    if (a.namespace) calls.push({ tool: 'get_events', args: { namespace: a.namespace, type: 'Warning', limit: 40 }, why: `Read the recent warning events in namespace ${a.namespace}.` });
    return calls;
  },
  analyse(a, ev) {
    const notes: string[] = [];
    const quotes: Quote[] = [];
    const recs: string[] = [];
    if (a.namespace && a.pod) {
      const dg = diagnosePod(ev, a.namespace, a.pod, a.container);
      notes.push(sentence(dg.cause));
      quotes.push(...dg.quotes);
      recs.push(...dg.recommendations);
    }
    for (const c of objectCalls(a)) {
      const out = described(ev, c);
      const what = `${c.tool.replace('describe_', '')} ${c.args.namespace ? `${String(c.args.namespace)}/` : ''}${String(c.args.name)}`;
      if (!out) {
        const err = ev.failure(c.tool, c.args);
        if (err) notes.push(`${what} could not be read: ${clip(err, 200)}.`);
        continue;
      }
      const conds = out.conditions.filter((x) => (x.status === 'False' && ['Ready', 'Available', 'Progressing', 'Complete'].includes(x.type)) || (x.status === 'True' && /Pressure|Failed|ReplicaFailure|Unavailable/.test(x.type)) || (x.type === 'Ready' && x.status === 'Unknown'));
      quotes.push(...quote(`${c.tool} ${what.split(' ')[1]}`, [...out.headline.map((l) => clip(l)), ...conds.map((x) => x.line)]));
      if (conds.length) notes.push(`${what}: ${conds.map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason})` : ''}`).join(', ')}.`);
      else if (condition(out.conditions, 'Ready')?.status === 'True') notes.push(`${what} is Ready.`);
    }
    // One warning per object and reason (the newest), so one noisy object does not hide the others.
    const seen = new Set<string>();
    const warnings = (a.namespace ? eventsBy(ev.events(), /.*/).filter((e) => e.type === 'Warning') : []).filter((e) => {
      const k = `${e.reason}|${e.object ?? e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (warnings.length) {
      quotes.push(...quote(`warning events in namespace ${a.namespace}`, warnings.slice(0, 5).map((e) => e.line)));
      notes.push(`Recent warnings in ${a.namespace}: ${warnings.slice(0, 3).map((e) => `${e.reason}${e.object ? ` on ${e.object}` : ''}: ${clip(e.message, 120)}`).join('; ')}.`);
    }
    const desc = a.annotations.description ?? a.annotations.message ?? a.annotations.summary;
    if (desc) quotes.push({ source: 'alert annotation', lines: [clip(desc, 400)] });
    const looked = ev.obs.filter((o) => !o.mutating).length;
    return {
      resolved: false,
      summary: `No rule for alert ${a.name}: needs manual intervention`,
      rootCause:
        `The rule-based analyzer has no rule for ${a.name}, so it cannot name a cause. ` +
        (notes.length ? `What the ${looked} evidence call(s) showed: ${notes.join(' ')}` : `The alert's labels name no pod, workload, node or claim to examine${looked ? '' : ', and no evidence could be gathered'}.`),
      quotes,
      recommendations: [
        ...recs,
        ...(a.annotations.runbook_url ? [`Follow the alert's runbook: ${a.annotations.runbook_url}`] : []),
        `Investigate by hand starting from the alert expression${a.namespace ? ` and \`kubectl get events -n ${a.namespace} --sort-by=.lastTimestamp\`` : ''}`,
        'Add a rule for this alert (src/analyzer/rules/) or configure an LLM (OPENAI_API_KEY) to investigate such alerts',
      ],
    };
  },
};


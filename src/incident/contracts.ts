// The contracts of an investigation that speak of an AlertIncident, one layer above the resource so
// that the analyzer, the context layer and the investigation all import them downwards: what an
// investigator is given and decides, the analyzer's evidence plan, and other incidents as correlation
// reads them. The ones without an incident (tools, decisions, errors) are in src/contracts/.
import type { Decision, Diagnosis, Hypotheses, Report, ToolInfo, Usage } from '../contracts/investigation.js';
import type { AlertIncident, RelatedIncident, Step } from './types.js';

export interface InvestigationContext {
  incident: AlertIncident;
  steps: Step[];
  tools: ToolInfo[];
  /** Policy in force, so the investigator can tell the model what it may do. */
  policyMode: 'observe' | 'approve' | 'auto';
  /** Extra guidance for this alert (runbook text), if any. */
  runbook?: string;
}

export interface Investigator {
  readonly kind: 'llm' | 'rules';
  /** One decision: the next tool call, or a conclusion. Throws TransientError when it should be retried later. */
  decide(ctx: InvestigationContext): Promise<{ decision: Decision; usage?: Usage }>;
  /** The narrative of the final report (the loop adds the factual sections from the steps itself). */
  writeReport(ctx: InvestigationContext & { outcome: 'Resolved' | 'NeedsManualIntervention'; reason: string }): Promise<{ report: Report; usage?: Usage }>;
  /** The rule-based analyzer only: its own diagnosis from the steps so far, whatever was concluded (no LLM cost). */
  diagnose?(ctx: InvestigationContext): Diagnosis;
}

/** Evidence first: runs the analyzer's read-only plan for an alert before the model's first decision. */
export interface EvidencePlanner {
  /** The next read-only call of the plan, or, once the plan is done, what the evidence suggests. */
  gather(ctx: InvestigationContext): { kind: 'call'; decision: Extract<Decision, { kind: 'callTool' }> } | { kind: 'done'; hypotheses: Hypotheses };
}

/**
 * Other incidents, as the engine's correlation reads them (src/operator/ implements it with the
 * IncidentStore and the operator's client; src/context/directory.ts).
 */
export interface IncidentDirectory {
  /** Metadata of the incidents that match a label selector, in the namespaces this operator handles (at most `limit`). */
  find(labelSelector: string, limit: number): Promise<Array<{ namespace: string; name: string; creationTimestamp?: string; labels?: Record<string, string> }>>;
  get(namespace: string, name: string): Promise<AlertIncident | undefined>;
  /** Merge-patches labels of an incident (null removes one); the incident as it now is. */
  setLabels(namespace: string, name: string, labels: Record<string, string | null>): Promise<AlertIncident>;
  /** Adds `entry` to a finished incident's status.related, once (conflict-safe: re-read on 409). */
  addRelated(namespace: string, name: string, entry: RelatedIncident): Promise<void>;
  /** The node a pod runs on and whether that node is Ready without pressure; undefined when the pod is gone or unscheduled. */
  nodeOfPod(namespace: string, pod: string): Promise<{ node: string; healthy: boolean } | undefined>;
}

// The contracts between the investigation loop and what it drives: an investigator that decides
// (the LLM, or the rule-based analyzer) and a tool catalog that runs tools (MCP servers).
import type { AlertIncident, RelatedIncident, Step } from '../incident/types.js';

/** A tool as offered to the investigator. `name` is unique across servers: `<server>__<tool>`. */
export interface ToolInfo {
  name: string;
  server: string;
  tool: string;
  description: string;
  /** JSON Schema of the arguments, as the MCP server published it. */
  inputSchema: Record<string, unknown>;
  mutating: boolean;
  /** `cluster` for a tool known to change cluster-scoped objects (nodes); the policy judges it apart. */
  scope?: 'namespaced' | 'cluster';
  /** Why it counts as read-only or mutating (config, built-in list, trusted annotations, default). */
  classifiedBy: string;
}

export interface ToolCallResult {
  ok: boolean;
  /** Text for the investigator to read (already made readable; the loop bounds its size). */
  output: string;
  error?: string;
  durationMs: number;
  /**
   * The same result as data, when the tool returned MCP `structuredContent` (the built-in tools always
   * do, with an outputSchema per tool; see src/tools/kubernetes/outputs.ts). Redacted like `output`.
   */
  structured?: Record<string, unknown>;
}

export interface ToolCatalog {
  list(): ToolInfo[];
  find(name: string): ToolInfo | undefined;
  call(server: string, tool: string, args: Record<string, unknown>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ToolCallResult>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface Conclusion {
  summary: string;
  rootCause: string;
  reasoning: string;
  toolCallId?: string;
}

export type Decision =
  | { kind: 'callTool'; tool: string; arguments: Record<string, unknown>; reasoning: string; toolCallId?: string }
  | ({ kind: 'resolve' } & Conclusion)
  | ({ kind: 'escalate' } & Conclusion)
  /** The investigator's reply could not be used (garbage, unknown tool, bad arguments): told back to it. */
  | { kind: 'invalid'; error: string; raw: string };

export interface InvestigationContext {
  incident: AlertIncident;
  steps: Step[];
  tools: ToolInfo[];
  /** Policy in force, so the investigator can tell the model what it may do. */
  policyMode: 'observe' | 'approve' | 'auto';
  /** Extra guidance for this alert (runbook text), if any. */
  runbook?: string;
}

export interface Report {
  markdown: string;
  summary?: string;
  rootCause?: string;
}

export interface Investigator {
  readonly kind: 'llm' | 'rules';
  /** One decision: the next tool call, or a conclusion. Throws TransientError when it should be retried later. */
  decide(ctx: InvestigationContext): Promise<{ decision: Decision; usage?: Usage }>;
  /** The narrative of the final report (the loop adds the factual sections from the steps itself). */
  writeReport(ctx: InvestigationContext & { outcome: 'Resolved' | 'NeedsManualIntervention'; reason: string }): Promise<{ report: Report; usage?: Usage }>;
}

/** What the rule-based analyzer makes of the evidence: hypotheses for the model to confirm or reject. */
export interface Hypotheses {
  /** The rule that read the evidence, e.g. `pod-crashloop`. */
  rule: string;
  summary: string;
  rootCause: string;
  /** The rule thinks the problem is already gone. */
  resolved: boolean;
  /** A fix the rule would propose (the policy still decides), as the call and why. */
  proposedFix?: { tool: string; arguments: Record<string, unknown>; why: string };
  recommendations: string[];
}

/** Evidence first: runs the analyzer's read-only plan for an alert before the model's first decision. */
export interface EvidencePlanner {
  /** The next read-only call of the plan, or, once the plan is done, what the evidence suggests. */
  gather(ctx: InvestigationContext): { kind: 'call'; decision: Extract<Decision, { kind: 'callTool' }> } | { kind: 'done'; hypotheses: Hypotheses };
}

/** A failure worth retrying with backoff (LLM 429/5xx/timeout after the client's own retries). */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Other incidents, as the engine's correlation reads them (src/operator.ts implements it with the
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

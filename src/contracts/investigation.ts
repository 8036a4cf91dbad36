// The contracts between the investigation loop and what it drives that need no incident: the tool
// catalog (MCP servers) as the loop sees it, an investigator's decisions, and what the tool layer reads
// of the cluster for `auto`. The contracts that speak of an AlertIncident (the investigator itself, its
// context, the directory of other incidents) sit just above the resource, in src/incident/contracts.ts.
import type { GitChange, ManagerSuspension } from './gitChange.js';

/** A tool as offered to the investigator. `name` is unique across servers: `<server>__<tool>` (see steps.ts, toolName). */
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
   * do, with an outputSchema per tool; see src/contracts/toolData.ts). Redacted like `output`.
   */
  structured?: Record<string, unknown>;
}

export interface ToolCatalog {
  list(): ToolInfo[];
  find(name: string): ToolInfo | undefined;
  /** `step`: the incident and step a mutating call runs for (`<ns>/<name> step <N>`), sent to the built-in server as the call's MCP `_meta` (alertagent.io/step). */
  call(server: string, tool: string, args: Record<string, unknown>, opts: { timeoutMs: number; signal?: AbortSignal; step?: string }): Promise<ToolCallResult>;
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

export interface Report {
  markdown: string;
  summary?: string;
  rootCause?: string;
}

/** What the rule-based analyzer makes of the evidence: hypotheses for the model to confirm or reject. */
export interface Hypotheses {
  /** The rule that read the evidence, e.g. `pod-crashloop`. */
  rule: string;
  summary: string;
  rootCause: string;
  /** The rule thinks the problem is already gone. */
  resolved: boolean;
  /** When resolved: what it read of the current state that shows the condition gone (absent: it only found the object gone). */
  recheck?: string;
  /** A fix the rule would propose (the policy still decides), as the call and why. */
  proposedFix?: { tool: string; arguments: Record<string, unknown>; why: string };
  recommendations: string[];
}

/**
 * The rule-based analyzer's own diagnosis from the steps of an investigation, at no LLM cost: the floor
 * under any model's conclusion (src/investigation/conclusion.ts).
 */
export interface Diagnosis {
  /** The rule that read the evidence, e.g. `pod`; `unknown` when no rule handles the alert. */
  rule: string;
  summary: string;
  /** Prose: the evidence lines themselves are in `evidence`. */
  rootCause: string;
  /** The tool output lines that prove it, by where they were read. */
  evidence: Array<{ source: string; lines: string[] }>;
  recommendations: string[];
  /** The rule finds the problem gone. */
  resolved: boolean;
  /** When resolved: what it read of the current state that shows the condition gone; absent, `resolved` proves nothing. */
  recheck?: string;
  /** The analyzer's report sections (## Summary, ## Root cause, ## Evidence, ## Recommendations) in Markdown. */
  markdown: string;
}

/** What the tool layer read of the cluster for a proposed change (the policy's CallFacts, less `involved`). */
export interface ClusterFacts {
  /** spec.replicas now, by `namespace/name`, of each object the call scales; missing: could not be read. */
  replicas: Record<string, number>;
  /** Pods the call deletes that a controller recreates, as `namespace/name`. */
  controlledPods: string[];
}

/** Reads the cluster for a proposed call (src/tools/kubernetes/callFacts.ts); what it cannot read it leaves out. */
export type CallInspector = (tool: string, args: Record<string, unknown>) => Promise<ClusterFacts>;

// ── closed-loop remediation (issue 22): judge a change before it is shown or run, check it after ─────

/** A mutating call as proposed: exactly the arguments that would run. */
export interface ProposedChange {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
}

/**
 * The API server's judgment of a proposed change, before a person sees it or it runs (the tool layer:
 * src/tools/kubernetes/dryRun.ts). `accepted`: a server-side dry run passed (with what would change),
 * or the target was read and exists; `rejected`: it can never run as asked (an invalid name, a missing
 * namespace or object, the API server refused the dry run), told back to the investigator as a tool
 * error; `unchecked`: nothing could be judged (a tool of another server whose target cannot be told).
 * A failure to reach the API server is thrown as a TransientError (retried with backoff), never a verdict.
 */
/** The MCP `_meta` key of a tool call naming the incident and step it runs for (`<ns>/<name> step <N>`). */
export const STEP_META = 'alertagent.io/step';

export type DryRunVerdict =
  /** `suspend`: GITOPS_MANAGED_WRITES=suspend, the manager is suspended before the write (and `gitChange` still proposed in Git). */
  | { kind: 'accepted'; diff: string[]; note: string; gitops?: string; gitChange?: GitChange; suspend?: ManagerSuspension }
  /** `gitops`: the target is kept from Git by Flux or Argo CD (who, and from where); `diff`: the change to make there instead. */
  | { kind: 'rejected'; reason: string; gitops?: string; diff?: string[]; gitChange?: GitChange }
  | { kind: 'unchecked'; note: string };

export type DryRunner = (call: ProposedChange, opts: { timeoutMs: number }) => Promise<DryRunVerdict>;

/** What a finished action is checked against: what the tool layer planned from its call and result (JSON). */
export interface VerificationPlan {
  /** One line: what must hold, e.g. "the rollout of Deployment shop/web completes and its new pods are Ready". */
  what: string;
  /** The objects and numbers the check reads (kept in the verify step, so a restarted operator checks the same). */
  target: Record<string, unknown>;
}

/** One check of a plan: whether everything holds now, and the evidence lines (what was read). */
export interface VerificationCheck {
  ok: boolean;
  lines: string[];
}

export interface Verifier {
  /** The verification of a finished action, or undefined when the operator cannot tell what it should change. */
  plan(action: ProposedChange & { data?: Record<string, unknown>; alertLabels: Record<string, string> }): VerificationPlan | undefined;
  /** Reads the cluster once (never throws: what cannot be read is a failing line). `since`: when the action finished. */
  check(target: Record<string, unknown>, since: Date): Promise<VerificationCheck>;
}

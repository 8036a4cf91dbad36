// What every phase of the engine is given and returns. A phase handler reads the incident as stored and
// returns the status to persist (the reconciler writes it); nothing lives in memory between steps. The
// context object carries the dependencies, the clock and the few helpers every phase uses.
import type { CorrelationOptions } from '../../context/correlation.js';
import type { IncidentHistory } from '../../context/history.js';
import type { CallInspector, DryRunner, ToolCatalog, Usage, Verifier } from '../../contracts/investigation.js';
import type { EvidencePlanner, IncidentDirectory, InvestigationContext, Investigator } from '../../incident/contracts.js';
import type { Tenancy } from '../../incident/tenancy.js';
import type { AlertIncident, IncidentStatus, Step } from '../../incident/types.js';
import type { PolicyConfig } from '../../policy/policy.js';

export interface Limits {
  maxSteps: number;
  maxTokensPerIncident: number;
  toolOutputMaxBytes: number;
  toolTimeoutMs: number;
  approvalTimeoutMs: number;
  /** Unusable replies in a row before the incident fails. */
  maxInvalidReplies: number;
  /** Failed attempts of one step in a row (LLM unavailable) before the incident fails. */
  maxAttempts: number;
  /** How long an action's verification may take (VERIFY_TIMEOUT; default 5 min; 0: no verification). */
  verifyTimeoutMs?: number;
}

export interface EngineDeps {
  investigator: Investigator;
  /**
   * Evidence first: when the investigator is an LLM, the analyzer's read-only plan runs before the
   * model's first decision, and the model starts from its results and hypotheses.
   */
  evidence?: EvidencePlanner;
  /** Takes over when the LLM cannot go on (unavailable past its retries, refused, unusable replies), so a report still comes. */
  fallback?: Investigator;
  tools: ToolCatalog;
  policy: PolicyConfig;
  limits: Limits;
  runbook?: (inc: AlertIncident) => string | undefined;
  /**
   * In per-namespace incident mode, the namespace an incident's actions are confined to (its own), or
   * undefined where anyone who may approve it may act anywhere the policy allows (operator mode, or an
   * incident that fell back to the operator's namespace).
   */
  actionNamespace?: (inc: AlertIncident) => string | undefined;
  /**
   * Alert namespace mode: an incident whose namespace and alert disagree (edited after the webhook wrote
   * it) fails without being investigated, recalled or remembered, and links stay within a namespace.
   */
  tenancy?: Tenancy;
  /**
   * Whether this replica may change the cluster now (it holds the leader lease). Asked right before a
   * mutating call runs, so a replica that lost its lease never acts alongside the new leader.
   */
  canAct?: () => boolean;
  /** Reads what `auto` must know about a proposed change (current replicas, pod owners) before the policy decides. */
  inspect?: CallInspector;
  /**
   * The API server's judgment of a mutating call before it is shown for approval or run (a server-side dry
   * run for the built-in tools, a read of the target for others): ../dryRun.ts. Without it, none.
   */
  dryRun?: DryRunner;
  /** Checks, after an action succeeded, that it worked (the Verifying phase: ./verify.ts). Without it, none. */
  verifier?: Verifier;
  /** Recall: the history of earlier incidents per alert identity (read when one starts, written when it reports). */
  history?: IncidentHistory;
  /** Correlation: link an incident to the primary it shares a cause with, and wait for that one's report. */
  correlation?: CorrelationOptions & {
    directory: IncidentDirectory;
    /** How long a linked incident waits for its primary's report before it investigates on its own. */
    timeoutMs: number;
    /** How often a linked incident looks at its primary (default: timeout/30, within 2 s … 15 s). */
    pollMs?: number;
  };
  /**
   * Many clusters: the cluster this engine investigates in, when it is not the local one. Every tool,
   * read and action of the deps above acts there; recall and correlation key by it.
   */
  cluster?: string;
  now?: () => Date;
}

export interface IncidentEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Write {
  status: IncidentStatus;
  events: IncidentEvent[];
  /** Check again after this long even if nothing changes (approval timeout, retry backoff). */
  requeueAfterMs?: number;
  /** Runs after `status` is persisted: a mutating call whose intent must be on record before it runs. */
  afterWrite?: () => Promise<Write>;
  /**
   * The incident as the step itself left it (its correlation labels written: a new resourceVersion):
   * `status` goes on top of this one, not of the copy the step was computed from, which would only 409.
   */
  base?: AlertIncident;
}

export type Advance = { kind: 'noop'; requeueAfterMs?: number } | ({ kind: 'write' } & Write);
export type WriteAdvance = Extract<Advance, { kind: 'write' }>;

/** What every phase gets: the dependencies, the clock, and the helpers that build steps and contexts. */
export interface PhaseContext {
  readonly deps: EngineDeps;
  now(): Date;
  iso(): string;
  /** A copy of the status as stored (empty for a new incident). */
  base(inc: AlertIncident): IncidentStatus;
  /** A new step after `steps`: the next index, the time now. */
  step(steps: Step[], s: Omit<Step, 'index' | 'time'>): Step;
  /** What the investigator is given for this incident and these steps. */
  context(inc: AlertIncident, steps: Step[]): InvestigationContext;
  /** The investigator in charge of this incident: the configured one, or the analyzer once it took over. */
  investigatorOf(status: IncidentStatus): Investigator;
}

/** One phase: the incident as stored in, the next step out. */
export type PhaseHandler = (cx: PhaseContext, inc: AlertIncident) => Promise<Advance> | Advance;

export function phaseContext(deps: EngineDeps): PhaseContext {
  const now = deps.now ?? (() => new Date());
  const iso = () => now().toISOString();
  return {
    deps,
    now,
    iso,
    base: (inc) => ({ ...(inc.status ?? {}) }),
    step: (steps, s) => ({ index: (steps.at(-1)?.index ?? 0) + 1, time: iso(), ...s }),
    context: (inc, steps) => ({ incident: inc, steps, tools: deps.tools.list(), policyMode: deps.policy.mode, runbook: deps.runbook?.(inc) }),
    investigatorOf: (status) => {
      const { investigator, fallback } = deps;
      return fallback && investigator.kind === 'llm' && status.investigator === fallback.kind ? fallback : investigator;
    },
  };
}

// ── helpers shared by the phases ─────────────────────────────────────────────────────────────────────

export function addUsage(u: IncidentStatus['usage'], add?: Usage): IncidentStatus['usage'] {
  const base = u ?? { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
  if (!add) return base;
  return { llmCalls: base.llmCalls + 1, promptTokens: base.promptTokens + add.promptTokens, completionTokens: base.completionTokens + add.completionTokens };
}

export function isConclusion(step: Step): boolean {
  return step.action === 'resolve' || step.action === 'escalate';
}

export function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

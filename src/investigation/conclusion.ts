// What the operator claims when an investigation ends (issue 22; DESIGN.md, "Outcomes and tenancy"). Two
// rules, whatever the model concluded:
//
// 1. The rule-based analyzer's findings are a floor. Its diagnosis (from the same steps, at no LLM cost)
//    stays in the report and in status.rootCause unless the conclusion rejects it with evidence of its
//    own: a citation of a step that read the cluster, written `[step N]` (or "step N shows …"). A
//    conclusion that adds nothing (empty, generic like "see the evidence gathered", or the alert's own
//    words again) is replaced by the analyzer's, and the report says so.
// 2. `Resolved` needs proof: the alert resolved (AlertManager said so), or an action ran and its
//    verification passed (a `verify` step with result.ok, or the rollout it started read back complete),
//    or a re-check read the condition gone now (the analyzer's finding with its `recheck`: the pod Ready
//    now, not merely "the pod no longer exists"). Otherwise the claim becomes NeedsManualIntervention,
//    quoted and marked "not borne out by the evidence".
//
// Pure functions of the incident, its steps and the analyzer's diagnosis: the report phase applies them.
import type { Diagnosis } from '../contracts/investigation.js';
import { stepArguments, stepToolName } from '../contracts/steps.js';
import type { AlertIncident, Outcome, Step } from '../incident/types.js';
import { clip, oneLine } from '../util/text.js';

// ── citations ─────────────────────────────────────────────────────────────────────────────────────

/** `[step 4]`, `[steps 2, 4]`, `[step 2 and 4]`: the citation form the prompt asks for. */
const BRACKETED = /\[\s*steps?\s+(\d+(?:\s*(?:,|and|&)\s*(?:step\s+)?\d+)*)\s*\]/gi;
/** "step 4 shows …", "steps 3 reports …": the same claim in prose. */
const IN_PROSE = /\bsteps?\s+(\d+)\s*(?:\)|,)?\s+(?:shows?|showed|says|said|reports?|reported|reads?|proves?|proved|confirms?|confirmed|contradicts?|contradicted)\b/gi;

/** A step that read the cluster: a call that ran and has a result (failed reads are evidence too), or a verification. */
function isEvidence(s: Step): boolean {
  if (isVerify(s)) return true;
  return s.action === 'callTool' && !!s.result && (s.state === 'Succeeded' || s.state === 'Failed');
}

/** The steps a text cites that exist and read the cluster (a citation of anything else is no evidence). */
export function citedSteps(text: string, steps: Step[]): number[] {
  const asked = new Set<number>();
  for (const m of text.matchAll(BRACKETED)) for (const n of m[1].match(/\d+/g) ?? []) asked.add(Number(n));
  for (const m of text.matchAll(IN_PROSE)) asked.add(Number(m[1]));
  return steps.filter((s) => asked.has(s.index) && isEvidence(s)).map((s) => s.index);
}

// ── conclusions that add nothing ─────────────────────────────────────────────────────────────────

/** Words that carry no finding: grammar, and what every lazy conclusion says. */
const FILLER = new Set(
  (
    'the a an and or but of to in on at by for with from as is are was were be been being it its this that these those there here ' +
    'has have had do does did done not no yes any all some each every so then than too very can could should would will may might must ' +
    'see seen look looks looked looking fine good okay ok well everything nothing none something anything unknown unclear n/a na ' +
    'evidence gathered gathering above below steps step details detail output outputs logs log report reports reported tool tools call calls ' +
    'resolved resolve resolves resolving fixed fix issue issues problem problems alert alerts alerting incident incidents investigation investigated investigate ' +
    'firing fired fires cause caused causes root summary status conclusion concluded conclude action actions needed required need checked check please refer ' +
    'per shown shows showed show described describes describe operator analyzer rule rules hypothesis hypotheses confirmed confirm already now currently ' +
    'person people someone human manual intervention needs act acting escalate escalated escalating attention team after'
  ).split(/\s+/),
);

function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3 || /\d/.test(w));
}

/** The words of the alert itself: its name, label values, annotations (a conclusion that only repeats them adds nothing). */
function alertWords(inc: AlertIncident): Set<string> {
  const s = inc.spec;
  const text = [s.alertname, ...Object.values(s.labels ?? {}), ...Object.values(s.annotations ?? {})].join(' ');
  const camel = s.alertname.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return new Set([...words(text), ...words(camel)]);
}

/** The words of a conclusion that say something the alert did not: fewer than two means it adds nothing. */
export function informativeWords(text: string, inc: AlertIncident): string[] {
  const known = alertWords(inc);
  return [...new Set(words(text).filter((w) => !FILLER.has(w) && !known.has(w)))];
}

export function addsNothing(summary: string, rootCause: string, inc: AlertIncident): boolean {
  return informativeWords(`${summary} ${rootCause}`, inc).length < 2;
}

// ── proof of an outcome ──────────────────────────────────────────────────────────────────────────

const RAN = new Set(['Running', 'Succeeded', 'Failed', 'Unknown']);

/** A verification step (the Verifying phase, ./phases/verify.ts): it passed when its result is ok. */
function isVerify(s: Step): boolean {
  return s.action === 'verify';
}

function verifyPassed(s: Step): boolean {
  return isVerify(s) && s.result?.ok === true;
}

function rolloutComplete(s: Step): boolean {
  if (s.action !== 'callTool' || s.tool !== 'rollout_status' || s.result?.ok !== true || !s.result.data) return false;
  try {
    return (JSON.parse(s.result.data) as { state?: unknown })?.state === 'complete';
  } catch {
    return false;
  }
}

/** The note the engine writes when AlertManager resolves the alert during an investigation. */
export function isAlertResolvedNote(s: Step): boolean {
  return s.action === 'note' && !!s.reasoning?.startsWith('AlertManager resolved');
}

/** What proves the problem gone: its kind, and in words ("AlertManager reported the alert resolved …"). */
export interface Proof {
  kind: 'alert' | 'verified' | 'recheck';
  text: string;
}

/**
 * What proves the problem gone, or undefined when nothing does. The investigator's word, whatever it read,
 * is not proof. `recheckStep`: the index the analyzer's re-check is recorded at (a `verify` step), if it
 * is the proof.
 */
export function resolutionProof(inc: AlertIncident, steps: Step[], diagnosis?: Diagnosis, recheckStep?: number): Proof | undefined {
  const p = proofText(inc, steps, diagnosis, recheckStep);
  return p && { kind: p[0], text: p[1] };
}

function proofText(inc: AlertIncident, steps: Step[], diagnosis?: Diagnosis, recheckStep?: number): [Proof['kind'], string] | undefined {
  if (inc.spec.status === 'resolved') return ['alert', `AlertManager reported the alert resolved${inc.spec.endsAt ? ` at ${inc.spec.endsAt}` : ''}`];
  const note = steps.find(isAlertResolvedNote);
  if (note) return ['alert', `AlertManager resolved the alert during the investigation (step ${note.index})`];
  const ran = steps.filter((s) => s.action === 'callTool' && s.mutating && RAN.has(s.state ?? ''));
  const last = ran.at(-1);
  const after = steps.filter((s) => !last || s.index > last.index);
  const verified = after.find(verifyPassed);
  if (verified) {
    return last
      ? ['verified', `step ${last.index} (${stepToolName(last)}) ran and step ${verified.index} verified it${verified.reasoning ? `: ${clip(oneLine(verified.reasoning), 200)}` : ''}`]
      : ['verified', `step ${verified.index} re-checked the condition and found it gone${verified.reasoning ? `: ${clip(oneLine(verified.reasoning), 200)}` : ''}`];
  }
  if (last?.state === 'Succeeded') {
    const rollout = after.find(rolloutComplete);
    if (rollout) return ['verified', `step ${last.index} (${stepToolName(last)}) ran and step ${rollout.index} read its rollout complete`];
  }
  // The analyzer's re-check: what it read shows the condition gone now, and no change ran after that read.
  const lastRead = [...steps].reverse().find((s) => s.action === 'callTool' && !s.mutating && s.result?.ok);
  if (diagnosis?.resolved && diagnosis.recheck && (!last || (lastRead && lastRead.index > last.index))) {
    return ['recheck', `a re-check${recheckStep ? ` (step ${recheckStep})` : ''} shows the condition gone: ${diagnosis.recheck}`];
  }
  return undefined;
}

/** Why nothing proves a claimed resolution, in words. */
function noProof(steps: Step[], diagnosis?: Diagnosis): string {
  const ran = steps.some((s) => s.action === 'callTool' && s.mutating && RAN.has(s.state ?? ''));
  const parts = [
    'the alert still fires',
    ran ? 'no verification passed after the last action' : 'no action ran',
    diagnosis?.resolved && !diagnosis.recheck ? 'and what the analyzer read shows the object gone, not the condition (nothing re-checked what the alert is about)' : 'and nothing read shows the condition gone now',
  ];
  return parts.join(', ');
}

// ── the verdict ──────────────────────────────────────────────────────────────────────────────────

export interface ConclusionInput {
  inc: AlertIncident;
  steps: Step[];
  /** The outcome the investigator claims (resolve: Resolved; escalate, or a stop: NeedsManualIntervention). */
  claimed: Outcome;
  /** Why it ends, as the report phase was told (an escalation's reasoning, a spent budget). */
  reason: string;
  /** The last resolve/escalate step, if the investigator concluded. */
  conclusion?: Step;
  /** The analyzer's own diagnosis from the same steps, when there is an analyzer. */
  diagnosis?: Diagnosis;
  /** The analyzer is the investigator in charge (no model, or it took over): its conclusion is the floor itself. */
  byAnalyzer: boolean;
  /** Summary and root cause as the status holds them (the conclusion's, or earlier ones). */
  summary?: string;
  rootCause?: string;
  /** The index the analyzer's re-check gets when it is recorded as a `verify` step (the next free one). */
  recheckStep?: number;
}

export interface Verdict {
  outcome: Outcome;
  /** "Resolved because …" / "NeedsManualIntervention because …", one line for the report. */
  outcomeLine: string;
  /**
   * How the conclusion was taken: `analyzer` (the analyzer concluded), `none` (nobody concluded),
   * `empty` (it added nothing: the analyzer's replaces it), `rejects` (it rejects the analyzer's
   * diagnosis citing steps: it stands alone), `kept` (it stands, with the analyzer's diagnosis kept
   * alongside), `alone` (no analyzer to compare with).
   */
  taken: 'analyzer' | 'none' | 'empty' | 'rejects' | 'kept' | 'alone';
  summary?: string;
  rootCause?: string;
  /** One line for the top of the narrative when the conclusion was replaced, set aside or kept with the floor. */
  note?: string;
  /** The steps the conclusion cites. */
  cited: number[];
  /** What proved a `Resolved`; `recheck`: the analyzer's, to be recorded as a `verify` step at `recheckStep`. */
  proof?: Proof;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const MAX_ROOT_CAUSE = 4000;

/**
 * A diagnosis worth keeping: a rule that handles the alert. Without one the analyzer only lists what was
 * read ("no rule for alert X"), which establishes nothing a conclusion could fall below.
 */
function worthKeeping(d: Diagnosis | undefined): d is Diagnosis {
  return !!d && d.rule !== 'unknown';
}

export function judgeConclusion(i: ConclusionInput): Verdict {
  const { inc, steps, diagnosis } = i;
  const args = i.conclusion ? stepArguments(i.conclusion) : {};
  const claimSummary = i.summary ?? str(args.summary);
  const claimRoot = i.rootCause ?? str(args.root_cause);
  let summary = claimSummary;
  let rootCause = claimRoot;
  let taken: Verdict['taken'];
  let note: string | undefined;
  let cited: number[] = [];

  if (i.byAnalyzer) {
    taken = 'analyzer';
  } else if (!i.conclusion) {
    taken = 'none';
    summary ??= diagnosis?.summary;
    rootCause ??= diagnosis?.rootCause;
  } else {
    const text = [claimSummary, claimRoot, i.conclusion.reasoning].filter(Boolean).join('\n');
    cited = citedSteps(text, steps);
    if (addsNothing(claimSummary ?? '', claimRoot ?? '', inc)) {
      const quoted = `"${clip(oneLine(claimSummary || claimRoot || '(empty)'), 160)}"`;
      if (worthKeeping(diagnosis)) {
        taken = 'empty';
        summary = diagnosis.summary;
        rootCause = diagnosis.rootCause;
        note = `The investigator's conclusion adds nothing (${quoted}): the summary, root cause and report below are the rule-based analyzer's (rule ${diagnosis.rule}), from the same evidence.`;
      } else {
        // Nothing better to put in its place: the analyzer has no rule for this alert and read nothing.
        taken = 'alone';
        if (!diagnosis) note = `The investigator's conclusion adds nothing (${quoted}), and no rule-based analyzer is configured to write one from the evidence.`;
      }
    } else if (!worthKeeping(diagnosis)) {
      taken = 'alone';
    } else if (cited.length) {
      taken = 'rejects';
      note = `The conclusion cites ${cited.length === 1 ? `step ${cited[0]}` : `steps ${cited.join(', ')}`}: the rule-based analyzer's diagnosis (rule ${diagnosis.rule}: ${clip(oneLine(diagnosis.summary), 300)}) is set aside.`;
    } else {
      taken = 'kept';
      const floor = clip(`The rule-based analyzer's diagnosis (rule ${diagnosis.rule}), kept because the conclusion does not reject it citing a step: ${oneLine(diagnosis.summary)}. ${diagnosis.rootCause}`, 2000);
      rootCause = `${clip(claimRoot ?? claimSummary ?? '', MAX_ROOT_CAUSE - floor.length - 2)}\n\n${floor}`;
      note = `The conclusion above does not reject the rule-based analyzer's diagnosis citing a step (\`[step N]\`), so that diagnosis is kept below.`;
    }
  }

  let outcome = i.claimed;
  let outcomeLine: string;
  let proved: Proof | undefined;
  const who = i.byAnalyzer ? 'the rule-based analyzer' : 'the investigator';
  if (i.claimed === 'Resolved') {
    const proof = resolutionProof(inc, steps, diagnosis, i.recheckStep);
    if (proof) {
      proved = proof;
      outcomeLine = `Resolved because ${proof.text}.`;
    } else {
      outcome = 'NeedsManualIntervention';
      const claim = clip(oneLine(claimSummary ?? claimRoot ?? i.reason), 300);
      outcomeLine = `NeedsManualIntervention because ${who}'s claim that the problem is gone ("${claim}") is not borne out by the evidence: ${noProof(steps, diagnosis)}.`;
      // The one-line summary must not state an unproven claim as a fact.
      if (summary && summary === claimSummary) summary = `Not borne out: ${summary}`;
    }
  } else if (i.conclusion) {
    // The floor holds for the outcome too: the analyzer read the condition gone now (with proof), and an
    // escalation that cites no step showing otherwise does not outweigh that.
    const proof = !i.byAnalyzer && !cited.length && diagnosis?.resolved ? resolutionProof(inc, steps, diagnosis, i.recheckStep) : undefined;
    const escalation = claimSummary ? ` ("${clip(oneLine(claimSummary), 300)}")` : '';
    if (proof && diagnosis) {
      outcome = 'Resolved';
      proved = proof;
      outcomeLine = `Resolved because ${proof.text}; the investigator's escalation${escalation} cites no step that shows otherwise.`;
      summary = diagnosis.summary;
    } else {
      outcomeLine = `NeedsManualIntervention because ${who} concluded that a person must act${escalation}.`;
    }
  } else {
    outcomeLine = `NeedsManualIntervention because ${clip(oneLine(i.reason), 400)}.`;
  }
  return { outcome, outcomeLine, taken, summary, rootCause: rootCause?.slice(0, MAX_ROOT_CAUSE), note, cited, ...(proved ? { proof: proved } : {}) };
}

/**
 * The analyzer's re-check recorded as what it is: a `verify` step with no action before it, that passed,
 * holding the lines that show the condition gone (so the proof is in the status, not only in the report).
 */
export function recheckStepOf(d: Diagnosis, index: number, time: string): Step {
  const lines = d.evidence.flatMap((q) => [`${q.source}:`, ...q.lines.map((l) => `  ${l}`)]);
  return {
    index,
    time,
    action: 'verify',
    state: 'Succeeded',
    reasoning: `The rule-based analyzer (rule ${d.rule}) re-checked what this investigation read: ${d.recheck ?? 'the condition is gone'}.`,
    arguments: JSON.stringify({ what: d.recheck, recheck: true }),
    result: { ok: true, output: clip(lines.join('\n'), 2000), finishedAt: time },
  };
}

/** The analyzer's report sections one level down, to sit under a heading of their own. */
export function demoted(markdown: string): string {
  return markdown.replace(/^(#{2,5}) /gm, '#$1 ');
}

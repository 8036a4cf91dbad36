// What a model can read in one chat-completions request: the alert (labels and annotations as data), the
// tools it is offered, the calls already made and their results (its own, and any evidence the operator
// gathered before asking it), and the operator's notes. The scripted models decide only from this.

export interface OfferedTool {
  /** as offered: server__tool */
  name: string;
  /** without the server prefix */
  tool: string;
  description: string;
  parameters: { properties?: Record<string, any>; required?: string[] };
}

export interface DoneCall {
  /** without the server prefix */
  tool: string;
  args: Record<string, any>;
  output: string;
  ok: boolean;
}

export interface Conversation {
  alertname: string;
  alertStatus: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  tools: OfferedTool[];
  calls: DoneCall[];
  /** user messages after the alert: operator notes, gathered evidence and hypotheses, feedback */
  notes: string[];
  /** feedback on unusable replies ("That reply could not be used: ...") */
  invalid: string[];
  /** replies the model already gave (assistant messages) */
  turns: number;
  /** the operator asks for the final report */
  wantsReport: boolean;
}

function fencedJsonAfter(text: string, marker: string): Record<string, string> {
  const i = text.indexOf(marker);
  if (i < 0) return {};
  const m = /```\n([\s\S]*?)\n```/.exec(text.slice(i));
  if (!m) return {};
  try {
    const v = JSON.parse(m[1]);
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const text = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => (typeof p === 'string' ? p : (p?.text ?? ''))).join('\n') : '';

export const baseName = (name: string) => (name.includes('__') ? name.slice(name.lastIndexOf('__') + 2) : name);

export function parseConversation(body: any): Conversation {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const alertIdx = messages.findIndex((m) => m.role === 'user' && /^Alert: /.test(text(m.content)));
  const alertText = alertIdx >= 0 ? text(messages[alertIdx].content) : '';
  const tools: OfferedTool[] = (Array.isArray(body?.tools) ? body.tools : [])
    .map((t: any) => t?.function)
    .filter((f: any) => f?.name)
    .map((f: any) => ({ name: f.name, tool: baseName(f.name), description: String(f.description ?? ''), parameters: f.parameters ?? {} }));
  const pending = new Map<string, { tool: string; args: Record<string, any> }>();
  const calls: DoneCall[] = [];
  const notes: string[] = [];
  const invalid: string[] = [];
  let turns = 0;
  messages.forEach((m, i) => {
    if (i <= alertIdx) return;
    if (m.role === 'assistant') {
      turns++;
      for (const tc of m.tool_calls ?? []) {
        let args: Record<string, any> = {};
        try {
          args = JSON.parse(tc.function?.arguments || '{}');
        } catch {
          /* unusable arguments: recorded as such by the operator */
        }
        pending.set(tc.id, { tool: baseName(tc.function?.name ?? ''), args });
      }
    } else if (m.role === 'tool') {
      const p = pending.get(m.tool_call_id);
      const out = text(m.content);
      if (p && p.tool !== 'resolve_incident' && p.tool !== 'escalate_incident') {
        calls.push({ tool: p.tool, args: p.args, output: out, ok: !/^(ERROR|NOT RUN|OUTCOME UNKNOWN)\b/.test(out) });
      }
    } else if (m.role === 'user') {
      const t = text(m.content);
      if (/^That reply could not be used/.test(t)) invalid.push(t);
      else notes.push(t);
    }
  });
  const last = text(messages.at(-1)?.content);
  return {
    alertname: /^Alert: (\S+)/.exec(alertText)?.[1] ?? '',
    alertStatus: /^Status: resolved/m.test(alertText) ? 'resolved' : 'firing',
    labels: fencedJsonAfter(alertText, 'Labels (data):'),
    annotations: fencedJsonAfter(alertText, 'Annotations (data):'),
    tools,
    calls,
    notes,
    invalid,
    turns,
    wantsReport: messages.at(-1)?.role === 'user' && /The investigation is over/.test(last),
  };
}

/** The offered name of a tool (server__tool), or undefined when it is not offered. */
export function offered(conv: Conversation, tool: string): OfferedTool | undefined {
  return conv.tools.find((t) => t.tool === tool && t.name.startsWith('kubernetes__')) ?? conv.tools.find((t) => t.tool === tool);
}

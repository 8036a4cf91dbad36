// One ticket system behind one interface: the queue (../ticketer.ts) decides what to do, a provider only
// speaks its system's REST API. Every call takes the request timeout; errors are DeliveryError
// (src/util/httpClient.ts), retryable or not.

/** A ticket as the queue keeps it: enough to comment, close and reopen it later, and to show it. */
export interface TicketRef {
  /** PROJ-123, owner/repo#12, group/project#12. */
  key: string;
  url: string;
  open: boolean;
}

export interface NewTicket {
  title: string;
  /** The body in Markdown; each provider converts it to what its API takes. */
  markdown: string;
  /** The marker label (alertagent-<identity hash>): how a ticket is found again after a lost record. */
  marker: string;
  /** The alert's severity, for the priority mapping. */
  severity?: string;
}

export interface TicketSystem {
  /** The newest ticket carrying the marker label, if any. */
  find(marker: string, timeoutMs: number): Promise<TicketRef | undefined>;
  create(t: NewTicket, timeoutMs: number): Promise<TicketRef>;
  comment(ref: TicketRef, markdown: string, timeoutMs: number): Promise<void>;
  close(ref: TicketRef, timeoutMs: number): Promise<void>;
  reopen(ref: TicketRef, timeoutMs: number): Promise<void>;
}

/** The labels of a new ticket: the configured ones, the marker, and the severity's priority label. */
export function ticketLabels(configured: string[], marker: string, priorityLabel?: string): string[] {
  return [...new Set([...configured, marker, ...(priorityLabel ? [priorityLabel] : [])])];
}

export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what}: the answer is not JSON`);
  }
}

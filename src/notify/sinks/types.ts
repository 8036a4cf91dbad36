import type { NotificationView } from '../message.js';

export interface SendContext {
  /** The id the sink gave this incident's earlier message (update in place where the sink can). */
  messageId?: string;
  /** Stable per incident, sink and event: receivers can drop a repeat by it. */
  deliveryId: string;
  timeoutMs: number;
}

export interface SendResult {
  messageId?: string;
}

export interface Sink {
  readonly name: string;
  readonly type: string;
  send(view: NotificationView, ctx: SendContext): Promise<SendResult>;
  close?(): void;
}

/** At most n characters, "…" when cut (src/util/text.ts). */
export { clip as cut } from '../../util/text.js';

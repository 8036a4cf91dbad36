// The errors the investigation tells apart, shared by whoever throws them (the LLM investigator, the
// analyzer, the tools) and the engine that maps them to a retry, a hand-over or a failure.

/** A failure worth retrying with backoff (LLM 429/5xx/timeout after the client's own retries). */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The LLM refused the request or cannot answer it usefully: retrying will not help (the analyzer takes over). */
export class PermanentLlmError extends Error {}

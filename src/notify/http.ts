// One HTTP request to a sink, with a timeout, and what its answer means for a retry: the helpers live in
// src/util/httpClient.ts (the ticket systems use them too); the sinks import them from here.
export { DeliveryError, hostOf, parseRetryAfter, postJson, requestJson, type HttpAnswer } from '../util/httpClient.js';

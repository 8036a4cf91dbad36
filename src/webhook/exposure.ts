// Who can post alerts. Without a token anyone who reaches the port creates incidents (and, with an LLM and
// policy auto, starts investigations and actions); that must be a choice someone wrote down, never a default.
import { ConfigError, type Config } from '../config.js';

type Settings = Pick<Config, 'WEBHOOK_HOST' | 'WEBHOOK_BEARER_TOKEN' | 'WEBHOOK_REQUIRE_TOKEN'>;

/** Addresses only this machine reaches: 127.0.0.0/8, ::1 and the name localhost. */
const loopback = (host: string) => /^127(\.\d{1,3}){3}$/.test(host) || host === '::1' || host === '[::1]' || host.toLowerCase() === 'localhost';

/**
 * Throws a ConfigError (the process exits 2 with it) for a webhook beyond loopback without a token unless
 * WEBHOOK_REQUIRE_TOKEN=false; returns the warning to log at every start when it runs open.
 */
export function webhookExposure(c: Settings): { warning?: string } {
  if (c.WEBHOOK_BEARER_TOKEN) return {};
  const host = c.WEBHOOK_HOST;
  if (loopback(host)) {
    return { warning: `the webhook runs open: no WEBHOOK_BEARER_TOKEN, it takes alerts from any process on this machine (only from this machine: WEBHOOK_HOST ${host})` };
  }
  if (c.WEBHOOK_REQUIRE_TOKEN) {
    throw new ConfigError(
      `invalid configuration:\n  WEBHOOK_BEARER_TOKEN: not set, and the webhook listens on WEBHOOK_HOST ${host}, beyond loopback: anyone who reaches it could create incidents.\n` +
        '  Set WEBHOOK_BEARER_TOKEN (AlertManager sends it as "Authorization: Bearer <token>"), listen on 127.0.0.1,\n' +
        '  or set WEBHOOK_REQUIRE_TOKEN=false to run it open on purpose.',
    );
  }
  return { warning: `the webhook runs open: no WEBHOOK_BEARER_TOKEN, it takes alerts from anyone who can reach ${host} (WEBHOOK_REQUIRE_TOKEN=false)` };
}

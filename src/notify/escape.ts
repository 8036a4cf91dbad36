// What the sender of an alert (its name, labels, annotations, generatorURL) and the model (summary, root
// cause, report) write reaches people through chat. It must read as text there: no channel pings, no link
// whose words hide where it goes.

/**
 * Slack text: "&", "<" and ">" are control characters in mrkdwn and in a message's top-level `text`, and must
 * be sent as &amp; &lt; &gt; (https://api.slack.com/reference/surfaces/formatting#escaping). Without it
 * `<!channel>` pings a channel and `<https://x|Approve>` shows a disguised link.
 */
export const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Adaptive Card TextBlock and Fact.Title/Fact.Value text is Markdown, "a subset of CommonMark": **bold**,
 * _italic_, lists and [Title](url) links (https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features,
 * https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format). CommonMark lets
 * a backslash escape any ASCII punctuation (https://spec.commonmark.org/0.31.2/#backslash-escapes), so each
 * character that opens a link ("["; without it "](" is text), an autolink, emphasis or code is escaped: the
 * text then shows as written.
 */
export const markdownEscape = (s: string) => s.replace(/[\\`*_[\]~<>]/g, (c) => `\\${c}`);

/** "prometheus.example" matches that host; "*.grafana.example" any host below grafana.example. */
function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return host === p;
}

/**
 * The alert's source link (generatorURL) is chosen by whoever sent the alert: it is linked only when it is
 * http(s) and its host is the AlertManager externalURL's host (sent with it: as trusted as the webhook's
 * bearer token) or one of `trustedLinkHosts` from the notifications config. Otherwise undefined: dropped.
 */
export function trustedLink(link: string | undefined, opts: { externalURL?: string; trustedHosts?: string[] }): string | undefined {
  if (!link) return undefined;
  const host = hostOf(link);
  if (!host) return undefined;
  const external = opts.externalURL ? hostOf(opts.externalURL) : undefined;
  if (external && host === external) return link;
  return (opts.trustedHosts ?? []).some((p) => hostMatches(host, p)) ? link : undefined;
}

function hostOf(u: string): string | undefined {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

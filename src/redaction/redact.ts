// The redaction of the operator, one function: redact(). ToolManager.call() runs it once over every tool
// result (built-in and external MCP servers: text, structured data and error texts) before the engine
// stores it in the status, gives it to the LLM or puts it in Events; the logger runs it over every log
// line's fields. The built-in tools use it only right before they cut something (a configuration value
// clipped for display, a result cut to the tool server's bounds): a secret cut in half is no longer
// recognisable by the pass. The predicates below (isSecretName, isSensitiveEnvValue) serve the masks
// that only an API object's structure allows (an env value hidden by its variable's name).
//
// Two kinds of rules, in this order:
//   1. Value shapes, wherever they stand: PEM private keys (also base64-wrapped), JWTs, cloud and SaaS keys
//      with a well-known prefix (AWS AKIA…, GitHub ghp_…, GitLab glpat-…, Slack xox…, Slack webhooks, GCP
//      AIza… / ya29.…, OpenAI / Anthropic sk-…, Stripe, npm, SendGrid, Hugging Face), passwords inside URLs
//      (`postgres://u:pw@host`) and Go DSNs (`u:pw@tcp(host)`), `Bearer …` and `Basic …` credentials.
//      These become `[redacted:<kind>]` so that the reader knows something of that kind was there.
//   2. Names: `key=value`, `key: value`, `"key": "value"`, `--key value`, YAML block scalars under such a key,
//      and env-style `name: X` / `value: Y` pairs, where the key names a secret (password, token, secret,
//      api key, private key, credentials, Authorization, …). The key is shown, the value becomes `[redacted]`
//      (the name already says what it was).
//
// Precision matters as much as recall: the investigation must still see resource names, images, labels
// (`key: app.kubernetes.io/name`), references (`secretName: db`, `<from secret db key url>`), UUIDs, git SHAs,
// token *counts* and "secret not found" messages. So there is no entropy guessing, names are judged by their
// last word (`secretName`, `tokenExpirationSeconds`, `passwordFile` stay visible), and placeholders
// (`${DB_PASSWORD}`, `<none>`, `true`, already redacted values) are left alone. The pass is idempotent.
//
// Pure and dependency-free on purpose: it sits below src/tools and src/observability, both import it.

export const REDACTED = '[redacted]';

/** `[redacted:jwt]` and the like. */
function redactedAs(kind: string): string {
  return `[redacted:${kind}]`;
}

// ------------------------------------------------------------------------------------------------
// Names

/** Last words that name a secret on their own (after splitting `DB_PASSWORD`, `db.password`, `apiToken`). */
const SECRET_WORD: Record<string, string> = {
  pass: 'password',
  pwd: 'password',
  passphrase: 'password',
  passcode: 'password',
  creds: 'credential',
  cred: 'credential',
  auth: 'auth',
  authorization: 'auth',
  cookie: 'cookie',
  sig: 'signature',
  signature: 'signature',
  sas: 'token',
  sessionid: 'cookie',
};
/** Endings of a last word that name a secret (`PGPASSWORD`, `authtoken`, `clientsecret`, `apikey`). */
const SECRET_ENDING: Array<[string, string]> = [
  ['password', 'password'],
  ['passwd', 'password'],
  ['secret', 'secret'],
  ['token', 'token'],
  ['credential', 'credential'],
  ['credentials', 'credential'],
  ['apikey', 'key'],
  ['accesskey', 'key'],
  ['secretkey', 'key'],
  ['privatekey', 'key'],
];
/** `<word> key` pairs that name a secret; `key` alone (`key: app.kubernetes.io/name`) does not. */
const KEY_QUALIFIER = new Set(
  (
    'api access secret private signing sign encryption encrypt decryption master account client auth shared storage license ' +
    'subscription app ssh gpg pgp jwt hmac session aes rsa ecdsa ed25519 tls ssl webhook deploy admin root csrf crypto cipher ' +
    'routing integration ingestion write service consumer'
  ).split(' '),
);
/** Trailing words that describe the form of a value: `password_hash`, `client-key-data`, `secret_b64`. */
const VALUE_SUFFIX = new Set('value val b64 base64 hash hashed enc encrypted plain plaintext raw str string data text'.split(' '));

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function kindOfWords(w: string[]): string | undefined {
  if (!w.length) return undefined;
  const last = w[w.length - 1];
  if (VALUE_SUFFIX.has(last) && w.length > 1) return kindOfWords(w.slice(0, -1));
  if (SECRET_WORD[last]) return SECRET_WORD[last];
  for (const [ending, kind] of SECRET_ENDING) if (last.endsWith(ending)) return kind;
  if (last === 'key' && w.length > 1 && KEY_QUALIFIER.has(w[w.length - 2])) return 'key';
  return undefined;
}

/**
 * What kind of secret a key/field/variable name names ('password', 'token', 'key', …), or undefined.
 * Judged by the last word: `db.password`, `DB_PASSWORD`, `clientSecret`, `x-api-key`, `AccountKey` are secret;
 * `secretName`, `secretKeyRef`, `passwordFile`, `tokenExpirationSeconds`, `key`, `publicKey` are not.
 */
function secretNameKind(name: string): string | undefined {
  if (name.includes('/')) return undefined; // `nginx.ingress.kubernetes.io/auth-secret: ns/name`: a reference
  const cached = nameCache.get(name);
  if (cached !== undefined) return cached || undefined;
  const kind = kindOfWords(words(name));
  if (nameCache.size >= 2000) nameCache.clear();
  nameCache.set(name, kind ?? '');
  return kind;
}
const nameCache = new Map<string, string>();

export function isSecretName(name: string): boolean {
  return secretNameKind(name) !== undefined;
}

const BROAD_ENV_NAME = /password|passwd|secret|token|key|credential/i;
/**
 * Env variables are named by convention, so the net is wider there: any name with password, secret, token,
 * key or credential in it (`CACHE_KEY`, `TOKEN_SALT`), but plain numbers under a merely broad name
 * (`TOKEN_TTL=3600`, `KEY_SIZE=2048`) stay visible.
 */
export function isSensitiveEnvValue(name: string, value: string): boolean {
  if (isPlaceholder(value)) return false;
  if (isSecretName(name)) return true;
  return BROAD_ENV_NAME.test(name) && !/^-?\d+(\.\d+)?$/.test(value.trim());
}

/** Values that say nothing secret: empty, booleans, null, references, templates, masks, redactions. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim().replace(/(?:\\[nrt])+$/, '');
  if (!v) return true;
  if (/^(true|false|yes|no|on|off|null|nil|none|~|\[\]|\{\})$/i.test(v)) return true;
  if (/^\*+$/.test(v) || /^x{3,}$/i.test(v)) return true;
  if (v.startsWith('[redacted') && v.endsWith(']') && !v.slice(1, -1).includes(']')) return true;
  if (/^<[^<>\n]*>$/.test(v)) return true; // <none>, <from secret db key url>, <secret value hidden, 12 bytes>
  if (/^\$\{[^}\s]+\}$|^\$\([^)\s]+\)$|^\$[A-Z_][A-Z0-9_]*$|^\{\{[^}]*\}\}$|^%\([^)]+\)s$/.test(v)) return true;
  return false;
}

// ------------------------------------------------------------------------------------------------
// Value shapes

interface Shape {
  kind: string;
  /** Literal strings of which one must occur for the regex to be worth running. */
  needles?: string[];
  re: RegExp;
  /** Replaces one match; default: the whole match by the marker. Return the match to keep it. */
  replace?: (m: string, ...groups: string[]) => string;
}

const mixedCase = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);

function decodes(b64: string, test: RegExp): boolean {
  try {
    return test.test(Buffer.from(b64, 'base64').toString('latin1'));
  } catch {
    return false;
  }
}

const SHAPES: Shape[] = [
  {
    kind: 'private-key',
    // A whole PEM private key (RSA, EC, OPENSSH, ENCRYPTED, PGP … BLOCK), also with literal "\n" escapes as in
    // JSON; a key cut before its END line is redacted up to where its base64 body ends.
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,.-]|\\[nr])*)/g,
  },
  {
    kind: 'private-key',
    // The same, base64-encoded once more (kubeconfig client-key-data, Secret-style data in a ConfigMap).
    re: /LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g,
    replace: (m) => (decodes(m.slice(0, 120 - (120 % 4)), /PRIVATE KEY/) ? redactedAs('private-key') : m),
  },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g },
  { kind: 'aws-access-key', re: /\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b/g },
  { kind: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'gitlab-token', re: /\bgl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|agent)-[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack-token', re: /\bxox[abposer]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}/g },
  {
    kind: 'slack-webhook',
    re: /(https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_/-]{8,}/g,
    replace: (_m, prefix) => `${prefix}${redactedAs('slack-webhook')}`,
  },
  { kind: 'gcp-api-key', re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: 'gcp-oauth-token', re: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  {
    kind: 'api-key',
    // OpenAI / Anthropic style. Resource names can start with "sk-" too; they are lower-case, keys are not.
    re: /\bsk-(?:proj-|ant-(?:api\d\d-|admin\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    replace: (m) => (mixedCase(m) ? redactedAs('api-key') : m),
  },
  { kind: 'stripe-key', re: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'sendgrid-key', re: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g },
  { kind: 'huggingface-token', re: /\bhf_[A-Za-z0-9]{34,}\b/g },
  {
    kind: 'password',
    // scheme://user:password@host (postgres, mysql, redis, amqp, mongodb+srv, http …); found from "://".
    needles: ['://'],
    re: /:\/\/([^\s:/@"'<>]{0,256}):([^\s@"'<>]{1,256})@/g,
    // A port and a path before an "@" (`http://host:8080/@scope/pkg`) is no password.
    replace: (m, user, pw) => (pw.startsWith('[redacted') || /^\d+\//.test(pw) ? m : `://${user}:${redactedAs('password')}@`),
  },
  {
    kind: 'password',
    // Go MySQL DSN: user:password@tcp(host:3306)/db
    needles: ['@tcp(', '@unix(', '@udp('],
    re: /(^|[\s"'=])([\w.-]{1,256}):([^\s@"'<>]{1,256})@(tcp|unix|udp)\(/g,
    replace: (m, pre, user, pw, proto) => (pw.startsWith('[redacted') ? m : `${pre}${user}:${redactedAs('password')}@${proto}(`),
  },
  {
    kind: 'bearer-token',
    re: /\b(bearer\s+)([A-Za-z0-9._~+/-]{8,}=*)/gi,
    replace: (m, pre, tok) => (tok.startsWith('[redacted') ? m : `${pre}${redactedAs('bearer-token')}`),
  },
  {
    kind: 'basic-auth',
    // Only when it decodes to user:password, so that "basic authentication" stays prose.
    re: /\b([Bb]asic\s+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/g,
    replace: (m, pre, b64) => (decodes(b64, /^[\x20-\x7e]+:[\x20-\x7e]*$/) ? `${pre}${redactedAs('basic-auth')}` : m),
  },
];

/** A cheap test per shape so that texts without any trigger skip its regex (most outputs have none). */
const SHAPE_TRIGGER = /PRIVATE KEY|LS0tLS1CRUdJTi|eyJ|A(?:KIA|SIA|BIA|CCA|3T)|gh[pousr]_|github_pat_|gl[a-z]+-|xox|xapp-|hooks\.slack|AIza|ya29\.|sk-|[sr]k_(?:live|test)|npm_|SG\.|hf_|:\/\/|@(?:tcp|unix|udp)\(|bearer|basic/i;

// ------------------------------------------------------------------------------------------------
// Names in text

/** A substring that every secret name contains; the scanner looks only around these. */
const NAME_HINT = /pass|pwd|secret|token|cred|key|auth|cookie|sig|sas|session/gi;
const AUTH_SCHEME = /^(?:Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|AWS4-HMAC-SHA256|SSWS|Splunk|Api-?Key)\s+/i;

function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45; // a-z A-Z 0-9 _ . -
}
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

interface Span {
  /** Where the secret itself starts and ends (quotes and auth schemes stay outside). */
  start: number;
  end: number;
}

/** Finds the extent of the value that starts at v. */
function valueSpan(text: string, v: number, sep: string, jsonish = false): Span | undefined {
  const n = text.length;
  const c = text[v];
  if (v >= n || c === '\n' || c === '\r') return undefined;
  if (c === '\\' && text[v + 1] === '"') {
    const close = text.indexOf('\\"', v + 2);
    const eol = lineEnd(text, v);
    return { start: v + 2, end: close >= 0 && close < eol ? close : eol };
  }
  if (c === '"') {
    let i = v + 1;
    while (i < n && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' && text[i + 1] !== '\n' ? 2 : 1;
    return { start: v + 1, end: Math.min(i, n) };
  }
  if (c === "'") {
    const close = text.indexOf("'", v + 1);
    const eol = lineEnd(text, v);
    return { start: v + 1, end: close >= 0 && close < eol ? close : eol };
  }
  if (c === '{' || c === '[') return undefined; // a nested structure: its own keys are judged
  if (sep === ':') {
    // YAML block scalar: `password: |` and the more indented lines under it.
    const rest = /^[|>][-+0-9]*[ \t]*(?=\r?\n|$)/.exec(text.slice(v, v + 8));
    if (rest) {
      const lineStart = text.lastIndexOf('\n', v) + 1;
      const indent = /^[ \t]*(?:- )?/.exec(text.slice(lineStart, v))![0].length;
      let end = v + rest[0].length;
      let i = end;
      while (i < n) {
        const nl = text.indexOf('\n', i);
        const next = nl < 0 ? n : nl + 1;
        if (next >= n) break;
        const lineEndAt = text.indexOf('\n', next) < 0 ? n : text.indexOf('\n', next);
        const line = text.slice(next, lineEndAt);
        const ind = /^[ \t]*/.exec(line)![0].length;
        if (line.trim() && ind <= indent) break;
        end = lineEndAt;
        i = lineEndAt;
      }
      return { start: v, end };
    }
    // Rest of the line, up to a quote or an escaped newline (a YAML line inside a JSON string); after a
    // quoted key (JSON) also up to the next comma or closing bracket.
    let i = v;
    while (i < n) {
      const ch = text[i];
      if (ch === '\n' || ch === '\r' || ch === '"') break;
      if (jsonish && (ch === ',' || ch === '}' || ch === ']')) break;
      if (ch === '\\' && /[nrt"]/.test(text[i + 1] ?? '')) break;
      i++;
    }
    while (i > v && isBlank(text[i - 1])) i--;
    return i > v ? { start: v, end: i } : undefined;
  }
  // `=` and `--flag value`: one token.
  let i = v;
  while (i < n) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === ';' || ch === '&' || ch === '"' || ch === "'" || ch === '<' || ch === '>' || ch === '`') break;
    if (ch === '\\' && /[nrt"]/.test(text[i + 1] ?? '')) break;
    i++;
  }
  return i > v ? { start: v, end: i } : undefined;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

/**
 * Whether the word at `s` follows another word on its line ("failed to fetch anonymous token: …"), not
 * the start of a line, an indent, a list dash or a bracket, comma, quote or colon, where YAML, JSON and
 * log fields put their keys.
 */
function inSentence(text: string, s: number): boolean {
  let i = s - 1;
  while (i >= 0 && isBlank(text[i])) i--;
  if (i < 0 || i === s - 1) return false; // line start, or no blank between (already judged by the caller)
  if (text[i] === '\n' || text[i] === '\r') return false;
  if (text[i - 1] === '\\' && /[nrt]/.test(text[i])) return false; // "…\n  token: x" inside a JSON string
  return isKeyChar(text.charCodeAt(i)) && text[i] !== '-';
}

/**
 * A value that reads as prose, after a secret's name inside a sentence: more than one word ("unexpected status
 * from GET …", "context deadline exceeded") or one plain word ("EOF", "denied"). A single token with a digit
 * or a symbol ("hunter2x!", an opaque token) is still taken for the secret. Value shapes (JWTs, keys with a
 * prefix, Bearer …) are found before this, wherever they stand.
 */
function proseValue(value: string): boolean {
  const v = value.trim();
  return /\s/.test(v) || /^[A-Za-z]+[.,;!?]?$/.test(v);
}

/** `key=value`, `key: value`, `"key": "value"`, `--key value` where the key names a secret. */
function redactNamedValues(text: string): string {
  const n = text.length;
  let out = '';
  let last = 0;
  const hint = new RegExp(NAME_HINT.source, 'gi');
  let m: RegExpExecArray | null;
  while ((m = hint.exec(text))) {
    let s = m.index;
    while (s > 0 && isKeyChar(text.charCodeAt(s - 1))) s--;
    let e = m.index + m[0].length;
    while (e < n && isKeyChar(text.charCodeAt(e))) e++;
    hint.lastIndex = e;
    if (s < last) continue;
    const before = s > 0 ? text[s - 1] : '';
    if (before === '\\' && /[nrt]/.test(text[s])) s++; // "…\ndb.password=…" inside a JSON string
    else if (before === '/' || before === ':' || before === '@' || before === '\\') continue;
    const key = text.slice(s, e);
    const bare = key.replace(/^-+/, '');
    if (!bare || !/^[A-Za-z_]/.test(bare)) continue;
    const flag = bare.length < key.length;

    let j = e;
    let quoted = false;
    if (text[j] === '\\' && text[j + 1] === '"') {
      j += 2;
      quoted = true;
    } else if (text[j] === '"' || text[j] === "'") {
      j++;
      quoted = true;
    }
    let k = j;
    while (isBlank(text[k])) k++;
    let sep = text[k];
    let v: number;
    if (sep === ':') {
      // YAML/JSON: no blank before the colon (`volume "db-password" : secret … not found` is prose), and a
      // blank or a quote after it (`image: api-token:v1` is not a pair).
      if (k !== j) continue;
      const after = text[k + 1];
      if (!(isBlank(after) || after === '"' || after === "'" || (after === '\\' && text[k + 2] === '"') || quoted)) continue;
      v = k + 1;
      while (isBlank(text[v])) v++;
    } else if (sep === '=') {
      if (text[k + 1] === '=' || text[k + 1] === '>') continue;
      v = k + 1;
      while (isBlank(text[v])) v++;
    } else if (flag && !quoted && k > j && k < n && text[k] !== '-' && text[k] !== '\n' && text[k] !== '\r') {
      sep = ' ';
      v = k;
    } else continue;

    const kind = secretNameKind(bare);
    if (!kind) continue;
    const span = valueSpan(text, v, sep, quoted);
    if (!span) continue;
    if (sep === ':' && !quoted && inSentence(text, s) && proseValue(text.slice(span.start, span.end))) continue;
    let start = span.start;
    if (kind === 'auth') {
      const scheme = AUTH_SCHEME.exec(text.slice(start, start + 40));
      if (scheme) start += scheme[0].length;
    }
    if (start >= span.end || isPlaceholder(text.slice(start, span.end))) continue;
    out += text.slice(last, start) + REDACTED;
    last = span.end;
    hint.lastIndex = Math.max(hint.lastIndex, span.end);
  }
  return last === 0 ? text : out + text.slice(last);
}

// The second line of a pair has no "- ": it belongs to the same list item, not to the next one.
const YAML_ENV_FWD = /(\bname:[ \t]*(["']?)([A-Za-z_][\w.-]*)\2[ \t]*\r?\n[ \t]*value:[ \t]*)(.*)/g;
const YAML_ENV_REV = /(\bvalue:[ \t]*)(.*)(\r?\n[ \t]*name:[ \t]*(["']?)([A-Za-z_][\w.-]*)\4[ \t]*)$/gm;
const JSON_ENV_FWD = /(\\?"name\\?"\s*:\s*\\?"([A-Za-z_][\w.-]*)\\?"\s*,\s*\\?"value\\?"\s*:\s*\\?")((?:[^"\\]|\\[^"])*)(?=\\?")/g;
const JSON_ENV_REV = /(\\?"value\\?"\s*:\s*\\?")((?:[^"\\]|\\[^"])*)(\\?"\s*,\s*\\?"name\\?"\s*:\s*\\?"([A-Za-z_][\w.-]*)\\?")/g;

function unquote(v: string): { q: string; inner: string } {
  const t = v.trim();
  const q = t[0] === '"' || t[0] === "'" ? t[0] : '';
  return q && t.endsWith(q) && t.length >= 2 ? { q, inner: t.slice(1, -1) } : { q: '', inner: t };
}

/** Env-style `name: DB_PASSWORD` + `value: …` pairs (YAML and JSON dumps of pods from other servers). */
function redactEnvPairs(text: string): string {
  if (!text.includes('value') || !text.includes('name')) return text;
  return text
    .replace(YAML_ENV_FWD, (m, head, _q, name, value) => {
      const { q, inner } = unquote(value);
      return isSensitiveEnvValue(name, inner) ? `${head}${q}${REDACTED}${q}` : m;
    })
    .replace(YAML_ENV_REV, (m, head, value, tail, _q, name) => {
      const { q, inner } = unquote(value);
      return isSensitiveEnvValue(name, inner) ? `${head}${q}${REDACTED}${q}${tail}` : m;
    })
    .replace(JSON_ENV_FWD, (m, head, name, value) => (isSensitiveEnvValue(name, value) ? `${head}${REDACTED}` : m))
    .replace(JSON_ENV_REV, (m, head, value, tail, name) => (isSensitiveEnvValue(name, value) ? `${head}${REDACTED}${tail}` : m));
}

// ------------------------------------------------------------------------------------------------
// The pass

/** Secrets out of free text: value shapes first, then env-style pairs, then values under secret names. */
function redactText(text: string): string {
  if (!text) return text;
  let t = text;
  if (SHAPE_TRIGGER.test(t)) {
    for (const s of SHAPES) {
      if (s.needles && !s.needles.some((x) => t.includes(x))) continue;
      s.re.lastIndex = 0;
      t = t.replace(s.re, s.replace ?? (() => redactedAs(s.kind)));
    }
  }
  t = redactEnvPairs(t);
  if (t.includes('</')) t = redactXmlElements(t);
  return redactNamedValues(t);
}

/** `<password>…</password>`, `<db:token attr="x">…</db:token>`: an XML element whose tag names a secret (a ConfigMap's users.xml). */
const XML_ELEMENT = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(\s[^<>]*)?>([^<]+)<\/\1?\2\s*>/g;

function redactXmlElements(text: string): string {
  return text.replace(XML_ELEMENT, (whole, prefix: string | undefined, tag: string, attrs: string | undefined, value: string) =>
    secretNameKind(tag) && value.trim() && !isPlaceholder(value.trim()) ? `<${prefix ?? ''}${tag}${attrs ?? ''}>${REDACTED}</${prefix ?? ''}${tag}>` : whole,
  );
}

export interface RedactOptions {
  /** Judge the value as if found under this name (a log line's field, a ConfigMap key): a secret name hides it whole. */
  key?: string;
  /** Nesting kept of objects and arrays (default 12); deeper values become "[too deep]". */
  maxDepth?: number;
}

/**
 * The redaction pass. A string comes back with its secrets replaced (by value shape and by the names they
 * stand under); any other value as a redacted deep copy: string leaves scanned the same way, values under
 * secret names (at any depth, objects and arrays included) replaced whole, cycles and very deep nesting
 * cut. Idempotent, and never changes its input.
 */
export function redact(text: string, opts?: RedactOptions): string;
export function redact(value: unknown, opts?: RedactOptions): unknown;
export function redact(value: unknown, opts: RedactOptions = {}): unknown {
  const { key, maxDepth = 12 } = opts;
  if (typeof value === 'string') return key !== undefined && isSecretName(key) && !isPlaceholder(value) ? REDACTED : redactText(value);
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactText(v);
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Date || Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return v;
    if (seen.has(v)) return '[circular]';
    if (depth >= maxDepth) return '[too deep]';
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      const out: Record<string, unknown> = {};
      if (v instanceof Error) {
        out.name = v.name;
        out.message = redactText(v.message);
      }
      for (const [k, x] of Object.entries(v)) out[k] = underName(k, x, depth);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  const underName = (k: string, x: unknown, depth: number): unknown => {
    if (x === null || x === undefined || typeof x === 'boolean') return x;
    if (isSecretName(k) && !(typeof x === 'string' && isPlaceholder(x))) return REDACTED;
    return walk(x, depth + 1);
  };
  return key === undefined ? walk(value, 0) : underName(key, value, -1);
}

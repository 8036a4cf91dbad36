// Escaping HTML by construction: every value put into a template with `html` is escaped unless it is a
// Safe made by `html` itself or by the Markdown renderer (marked, then sanitize-html).
import { marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { escapeHtml } from '../util/html.js';

export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Safe | string | number | boolean | undefined | null | Part[];

function part(v: Part): string {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof Safe) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Safe {
  let out = strings[0];
  values.forEach((v, i) => (out += part(v) + strings[i + 1]));
  return new Safe(out);
}

/**
 * The report (and anything else in Markdown) as HTML: marked renders, sanitize-html keeps a short list
 * of tags. No images, no styles, no iframes or forms: nothing in a report makes the browser fetch
 * anything; links are http(s)/mailto only, open nothing by themselves and carry no referrer.
 */
export function markdown(md: string): Safe {
  const rendered = marked.parse(md, { async: false, gfm: true, breaks: false }) as string;
  return new Safe(
    sanitizeHtml(rendered, {
      allowedTags: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'ul', 'ol', 'li', 'strong', 'em', 'del', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
      allowedAttributes: { a: ['href', 'rel', 'target'], th: ['align'], td: ['align'] },
      allowedSchemes: ['http', 'https', 'mailto'],
      allowProtocolRelative: false,
      disallowedTagsMode: 'escape',
      transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
    }),
  );
}

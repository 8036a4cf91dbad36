// The report's Markdown as Atlassian Document Format, the body Jira Cloud's REST v3 takes for
// descriptions and comments (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).
// Only what reports use: headings, paragraphs, bullet and numbered lists, fenced code blocks, and inline
// links, code and bold. Everything else (tables, quotes) reads as plain paragraphs. The rules of the
// format that Jira enforces: the root is {type: doc, version: 1}; a text node is never empty; a code
// block holds only unmarked text; the code mark goes with no mark but link; a list item holds blocks.

export interface AdfMark {
  type: 'link' | 'code' | 'strong';
  attrs?: { href: string };
}
export interface AdfText {
  type: 'text';
  text: string;
  marks?: AdfMark[];
}
export interface AdfNode {
  type: 'paragraph' | 'heading' | 'bulletList' | 'orderedList' | 'listItem' | 'codeBlock';
  attrs?: Record<string, unknown>;
  content?: Array<AdfNode | AdfText>;
}
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/** Inline Markdown (links, `code`, **bold**) as text nodes; nothing else is read as markup. */
export function inline(s: string): AdfText[] {
  const out: AdfText[] = [];
  const push = (text: string, marks?: AdfMark[]) => {
    if (!text) return;
    out.push(marks?.length ? { type: 'text', text, marks } : { type: 'text', text });
  };
  const re = /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|`([^`]+)`|\*\*([^*]+)\*\*|(https?:\/\/[^\s)<>]+)/g;
  let last = 0;
  for (const m of s.matchAll(re)) {
    push(s.slice(last, m.index));
    if (m[1] !== undefined) push(m[1], [{ type: 'link', attrs: { href: m[2] } }]);
    else if (m[3] !== undefined) push(m[3], [{ type: 'code' }]);
    else if (m[4] !== undefined) push(m[4], [{ type: 'strong' }]);
    else push(m[5], [{ type: 'link', attrs: { href: m[5] } }]);
    last = m.index! + m[0].length;
  }
  push(s.slice(last));
  return out;
}

const paragraph = (s: string): AdfNode | undefined => {
  const content = inline(s.trim());
  return content.length ? { type: 'paragraph', content } : undefined;
};

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;

/** Markdown to a valid ADF document (never empty: Jira refuses a doc without content in a comment). */
export function markdownToAdf(md: string): AdfDoc {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const content: AdfNode[] = [];
  let para: string[] = [];
  const flush = () => {
    const p = para.length ? paragraph(para.join(' ')) : undefined;
    if (p) content.push(p);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      const text = body.join('\n');
      content.push({ type: 'codeBlock', ...(fence[2] ? { attrs: { language: fence[2] } } : {}), ...(text ? { content: [{ type: 'text', text }] } : {}) });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const text = inline(heading[2].trim());
      if (text.length) content.push({ type: 'heading', attrs: { level: heading[1].length }, content: text });
      continue;
    }
    const listType = BULLET.test(line) ? 'bulletList' : NUMBERED.test(line) ? 'orderedList' : undefined;
    if (listType) {
      flush();
      const re = listType === 'bulletList' ? BULLET : NUMBERED;
      const items: AdfNode[] = [];
      for (; i < lines.length && re.test(lines[i]); i++) {
        const p = paragraph(re.exec(lines[i])![1]);
        if (p) items.push({ type: 'listItem', content: [p] });
      }
      i--;
      if (items.length) content.push({ type: listType, content: items });
      continue;
    }
    if (!line.trim()) flush();
    else para.push(line);
  }
  flush();
  if (!content.length) content.push({ type: 'paragraph', content: [{ type: 'text', text: '(no text)' }] });
  return { type: 'doc', version: 1, content };
}

/** The same Markdown as Jira wiki markup (Data Center's REST v2 takes plain strings in that notation). */
export function markdownToWiki(md: string): string {
  const out: string[] = [];
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^\s*(```|~~~)/.exec(lines[i]);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      out.push('{noformat}', ...body, '{noformat}');
      continue;
    }
    out.push(
      lines[i]
        .replace(/^(#{1,6})\s+/, (_m, h: string) => `h${h.length}. `)
        .replace(/^\s*[-+]\s+/, '* ')
        .replace(/^\s*\d+[.)]\s+/, '# ')
        .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '[$1|$2]')
        .replace(/`([^`]+)`/g, '{{$1}}')
        .replace(/\*\*([^*]+)\*\*/g, '*$1*'),
    );
  }
  return out.join('\n');
}

// A strict little XML 1.0 well-formedness checker for the JUnit test: declaration, balanced
// elements, quoted attributes without duplicates, only the five predefined entities or character
// references, no stray '<' or '&' in text. Returns the element tree.
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function decode(s: string, where: string): string {
  return s.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`${where}: bare '&'`);
    const map: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (body in map) return map[body] as string;
    if (/^#\d+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(body)) return String.fromCodePoint(parseInt(body.slice(2), 16));
    throw new Error(`${where}: unknown entity &${body};`);
  });
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  if (!src.startsWith('<?xml ')) throw new Error('missing XML declaration');
  i = src.indexOf('?>') + 2;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = lt < 0 ? src.slice(i) : src.slice(i, lt);
    if (text.includes('>') && /[^\s]/.test(text)) {
      // '>' is allowed in text, but check entities
    }
    (stack[stack.length - 1] as XmlElement).text += decode(text, `text at ${i}`);
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('</', i)) {
      const end = src.indexOf('>', i);
      const name = src.slice(i + 2, end).trim();
      const top = stack.pop() as XmlElement;
      if (top.name !== name) throw new Error(`mismatched </${name}> closing <${top.name}>`);
      i = end + 1;
      continue;
    }
    i++;
    const m = NAME.exec(src.slice(i));
    if (!m) throw new Error(`bad tag name at ${i}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    i += m[0].length;
    for (;;) {
      while (/\s/.test(src[i] as string)) i++;
      if (src.startsWith('/>', i)) {
        i += 2;
        (stack[stack.length - 1] as XmlElement).children.push(el);
        break;
      }
      if (src[i] === '>') {
        i++;
        (stack[stack.length - 1] as XmlElement).children.push(el);
        stack.push(el);
        break;
      }
      const an = NAME.exec(src.slice(i));
      if (!an) throw new Error(`bad attribute in <${el.name}> at ${i}`);
      i += an[0].length;
      if (src[i] !== '=' || src[i + 1] !== '"') throw new Error(`attribute ${an[0]} of <${el.name}> not "quoted"`);
      const close = src.indexOf('"', i + 2);
      const raw = src.slice(i + 2, close);
      if (raw.includes('<')) throw new Error(`'<' in attribute ${an[0]}`);
      if (an[0] in el.attrs) throw new Error(`duplicate attribute ${an[0]}`);
      el.attrs[an[0]] = decode(raw, `attribute ${an[0]}`);
      i = close + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${(stack[stack.length - 1] as XmlElement).name}>`);
  if (root.children.length !== 1) throw new Error('a document has exactly one root element');
  return root.children[0] as XmlElement;
}

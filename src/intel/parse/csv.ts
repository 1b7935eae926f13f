/**
 * One CSV line → fields: `,` separators with optional blanks around them (ThreatFox writes
 * `", "`), `"quoted"` values with `""` escapes. Returns null for an unterminated quote.
 */
export function parseCsvLine(line: string, sep = ','): string[] | null {
  const out: string[] = [];
  const n = line.length;
  const sc = sep.charCodeAt(0);
  let i = 0;
  for (;;) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) && sc !== 9) i++;
    if (i < n && line.charCodeAt(i) === 34) {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) { v += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      while (i < n && line.charCodeAt(i) !== sc) {
        const c = line.charCodeAt(i);
        if (c !== 32 && c !== 9) return null; // text after a closing quote
        i++;
      }
      out.push(v);
    } else {
      let j = line.indexOf(sep, i);
      if (j < 0) j = n;
      out.push(line.slice(i, j).trim());
      i = j;
    }
    if (i >= n) return out;
    i++; // the separator
    if (i === n) { out.push(''); return out; }
  }
}

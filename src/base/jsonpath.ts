/**
 * Where a JSON path (`$.vms[0].pinning[1]`, as the scenario validator reports them) sits in JSON
 * text: the offsets of its value, so an editor can underline exactly what an error is about. The
 * deepest part of the path that exists is returned when the rest does not (a missing key points at
 * its object).
 */

export interface TextRange {
  start: number;
  end: number;
}

/** Splits `$.a.b[2]["c d"]` into ['a', 'b', 2, 'c d']; null when it is not such a path. */
export function splitJsonPath(path: string): (string | number)[] | null {
  if (!path.startsWith('$')) return null;
  const out: (string | number)[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      const m = /^[A-Za-z_$][\w$]*/.exec(path.slice(i + 1));
      if (!m) return null;
      out.push(m[0]);
      i += 1 + m[0].length;
    } else if (path[i] === '[') {
      const num = /^\[(\d+)\]/.exec(path.slice(i));
      if (num) {
        out.push(Number(num[1]));
        i += num[0].length;
        continue;
      }
      const str = /^\[("(?:[^"\\]|\\.)*")\]/.exec(path.slice(i));
      if (!str) return null;
      out.push(JSON.parse(str[1]) as string);
      i += str[0].length;
    } else return null;
  }
  return out;
}

/** The range of the value at `path` in `text` (or of the deepest ancestor found); null if `text` is not JSON. */
export function locateJsonPath(text: string, path: string): TextRange | null {
  const parts = splitJsonPath(path);
  if (!parts) return null;
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  /** Skips one value starting at i (after whitespace); returns false on malformed text. */
  const skipValue = (): boolean => {
    ws();
    const c = text[i];
    if (c === '"') {
      skipString();
      return i <= text.length;
    }
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') return false;
          skipString();
          ws();
          if (text[i] !== ':') return false;
          i++;
        }
        if (!skipValue()) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return true;
        }
        return false;
      }
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  /** The range of the value starting at i; i stays at its start, to descend into it. */
  const valueHere = (): TextRange => {
    const start = i;
    skipValue();
    const r = { start, end: i };
    i = start;
    return r;
  };
  ws();
  if (!skipValue()) return null;
  i = 0;
  ws();
  let found = valueHere();
  for (const part of parts) {
    ws();
    const c = text[i];
    let hit = false;
    if (c === '{' && typeof part === 'string') {
      i++;
      ws();
      while (text[i] === '"') {
        const ks = i;
        skipString();
        const key = JSON.parse(text.slice(ks, i)) as string;
        ws();
        i++; // ':'
        ws();
        if (key === part) {
          found = valueHere();
          hit = true;
          break;
        }
        if (!skipValue()) return found;
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        }
      }
    } else if (c === '[' && typeof part === 'number') {
      i++;
      for (let k = 0; ; k++) {
        ws();
        if (text[i] === ']') break;
        if (k === part) {
          found = valueHere();
          hit = true;
          break;
        }
        if (!skipValue()) return found;
        ws();
        if (text[i] === ',') i++;
      }
    }
    if (!hit) return found;
  }
  return found;
}

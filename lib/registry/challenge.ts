/**
 * `WWW-Authenticate` challenges of an OCI registry (RFC 7235 syntax): the token flow of the
 * distribution spec answers 401 with `Bearer realm="…",service="…",scope="…"`; some registries
 * ask for `Basic` instead.
 */

export interface Challenge {
  /** Lower-case scheme: `bearer` or `basic`. */
  scheme: string;
  params: Record<string, string>;
}

// One auth-param: name=token or name="quoted string" (backslash escapes).
const PARAM = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/y;

/** Parses every challenge of a `WWW-Authenticate` header value; unknown shapes are skipped. */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let rest = header.trim();
  while (rest) {
    const scheme = /^([A-Za-z][A-Za-z0-9_-]*)\s*/.exec(rest);
    if (!scheme) break;
    rest = rest.slice(scheme[0].length);
    const params: Record<string, string> = {};
    PARAM.lastIndex = 0;
    let consumed = 0;
    for (;;) {
      PARAM.lastIndex = consumed;
      const m = PARAM.exec(rest);
      if (!m || m.index !== consumed || m[0].length === 0) break;
      params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
      consumed = PARAM.lastIndex;
    }
    out.push({ scheme: scheme[1].toLowerCase(), params });
    rest = rest.slice(consumed).replace(/^[\s,]+/, "");
  }
  return out;
}

/**
 * What a check kind gets to do its work: its resolved definition and a `send` that applies the
 * check's headers, its deadline (one timeout for all requests of the check) and the extra CA.
 */
import { httpRequest, HttpRequest, HttpResponse } from "./http";
import { checkFailed } from "./failure";
import type { ResolvedCheck } from "./types";

export interface CheckContext {
  check: ResolvedCheck;
  /** Sends a request to the check's URL (or `url`), within what is left of the check's timeout. */
  send(req?: Partial<Omit<HttpRequest, "timeoutMs" | "ca">>): Promise<HttpResponse>;
}

export function checkContext(check: ResolvedCheck, deadline: number, ca?: string): CheckContext {
  return {
    check,
    send: (req = {}) => {
      const left = deadline - Date.now();
      if (left <= 0) return Promise.reject(checkFailed(`no answer within the ${check.timeoutMs} ms timeout`));
      return httpRequest({
        url: check.url,
        ...req,
        headers: { ...check.headers, ...req.headers },
        timeoutMs: left,
        ca,
      });
    },
  };
}

/** A check kind: resolves with a short note on success, rejects with a check failure. */
export type CheckKind = (ctx: CheckContext) => Promise<string>;

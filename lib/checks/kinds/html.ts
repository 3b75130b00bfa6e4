/** `html`: the target serves an HTML document (doctype or `<html>`), optionally with a title. */
import { checkFailed } from "../failure";
import { expectOk, mediaType } from "../http";
import type { CheckContext } from "../context";

export function htmlTitle(body: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body);
  return m ? m[1].replace(/\s+/g, " ").trim() : undefined;
}

export async function htmlDocumentCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "html") throw new Error(`htmlDocumentCheck got a ${check.kind} check`);
  const res = await ctx.send({ headers: { accept: "text/html" } });
  expectOk(res);
  const type = mediaType(res);
  if (type !== "text/html") throw checkFailed(`expected text/html, got content type "${type || "none"}"`);
  if (!/<!doctype html/i.test(res.body) && !/<html[\s>]/i.test(res.body)) {
    throw checkFailed("the body is not an HTML document (no doctype or <html>)");
  }
  const title = htmlTitle(res.body);
  if (check.titleContains !== undefined && !(title ?? "").includes(check.titleContains)) {
    throw checkFailed(
      `title ${title === undefined ? "is missing" : JSON.stringify(title)}, expected it to contain ${JSON.stringify(check.titleContains)}`,
    );
  }
  return title ? `title ${JSON.stringify(title.slice(0, 40))}` : "HTML document";
}

// The control plane's MCP tools: small, deterministic utilities plus a few that talk to the
// fleet (worker jobs, version). Each tool: name, description, JSON Schema input, run(args, env).
"use strict";
const crypto = require("crypto");

const str = (description) => ({ type: "string", description });
const num = (description) => ({ type: "number", description });
const schema = (properties, required = Object.keys(properties)) => ({ type: "object", properties, required });

function requireArg(args, name, type) {
  if (typeof args[name] !== type)
    throw Object.assign(new Error(`argument ${name} must be a ${type}`), { code: -32602 });
  return args[name];
}

async function workerCall(env, method, path, body) {
  if (!env.workerUrl) throw new Error("WORKER_URL is not set; the worker tools are unavailable");
  const res = await fetch(`${env.workerUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(3000),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`worker answered ${res.status}: ${answer.error || "error"}`);
  return answer;
}

const TOOLS = [
  {
    name: "echo",
    description: "Returns its text unchanged.",
    inputSchema: schema({ text: str("Text to echo") }),
    run: (a) => requireArg(a, "text", "string"),
  },
  {
    name: "add",
    description: "Adds two numbers.",
    inputSchema: schema({ a: num("First"), b: num("Second") }),
    run: (a) => requireArg(a, "a", "number") + requireArg(a, "b", "number"),
  },
  {
    name: "multiply",
    description: "Multiplies two numbers.",
    inputSchema: schema({ a: num("First"), b: num("Second") }),
    run: (a) => requireArg(a, "a", "number") * requireArg(a, "b", "number"),
  },
  {
    name: "uuid",
    description: "Generates a random UUID v4.",
    inputSchema: schema({}),
    run: () => crypto.randomUUID(),
  },
  {
    name: "now",
    description: "Current time in ISO 8601 (UTC).",
    inputSchema: schema({}),
    run: () => new Date().toISOString(),
  },
  {
    name: "sha256",
    description: "SHA-256 of a text, hex.",
    inputSchema: schema({ text: str("Input") }),
    run: (a) =>
      crypto
        .createHash("sha256")
        .update(requireArg(a, "text", "string"))
        .digest("hex"),
  },
  {
    name: "base64_encode",
    description: "Base64 of a UTF-8 text.",
    inputSchema: schema({ text: str("Input") }),
    run: (a) => Buffer.from(requireArg(a, "text", "string")).toString("base64"),
  },
  {
    name: "base64_decode",
    description: "Decodes base64 to UTF-8 text.",
    inputSchema: schema({ data: str("Base64 input") }),
    run: (a) => Buffer.from(requireArg(a, "data", "string"), "base64").toString("utf8"),
  },
  {
    name: "uppercase",
    description: "Upper-cases a text.",
    inputSchema: schema({ text: str("Input") }),
    run: (a) => requireArg(a, "text", "string").toUpperCase(),
  },
  {
    name: "lowercase",
    description: "Lower-cases a text.",
    inputSchema: schema({ text: str("Input") }),
    run: (a) => requireArg(a, "text", "string").toLowerCase(),
  },
  {
    name: "reverse",
    description: "Reverses a text.",
    inputSchema: schema({ text: str("Input") }),
    run: (a) => [...requireArg(a, "text", "string")].reverse().join(""),
  },
  {
    name: "word_count",
    description: "Counts the words of a text.",
    inputSchema: schema({ text: str("Input") }),
    run: (a) => (requireArg(a, "text", "string").match(/\S+/g) || []).length,
  },
  {
    name: "slugify",
    description: "Turns a title into a URL slug.",
    inputSchema: schema({ text: str("Title") }),
    run: (a) =>
      requireArg(a, "text", "string")
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, ""),
  },
  {
    name: "json_format",
    description: "Pretty-prints a JSON document.",
    inputSchema: schema({ json: str("JSON text") }),
    run: (a) => JSON.stringify(JSON.parse(requireArg(a, "json", "string")), null, 2),
  },
  {
    name: "url_parse",
    description: "Splits a URL into its parts.",
    inputSchema: schema({ url: str("Absolute URL") }),
    run: (a) => {
      const u = new URL(requireArg(a, "url", "string"));
      return {
        protocol: u.protocol,
        host: u.host,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
      };
    },
  },
  {
    name: "random_int",
    description: "A random integer in [min, max].",
    inputSchema: schema({ min: num("Lowest"), max: num("Highest") }),
    run: (a) => crypto.randomInt(requireArg(a, "min", "number"), requireArg(a, "max", "number") + 1),
  },
  {
    name: "hmac_sign",
    description: "HMAC-SHA256 of a payload with a caller-supplied key (as a webhook sender would sign it).",
    inputSchema: schema({ key: str("Key"), payload: str("Payload") }),
    run: (a) =>
      `sha256=${crypto
        .createHmac("sha256", requireArg(a, "key", "string"))
        .update(requireArg(a, "payload", "string"))
        .digest("hex")}`,
  },
  {
    name: "version",
    description: "The control plane's version.",
    inputSchema: schema({}),
    run: (_a, env) => env.version,
  },
  {
    name: "enqueue_job",
    description: "Queues a job on the worker.",
    inputSchema: schema({ kind: str("Job kind"), payload: str("Job payload") }),
    run: (a, env) =>
      workerCall(env, "POST", "/jobs", {
        kind: requireArg(a, "kind", "string"),
        payload: requireArg(a, "payload", "string"),
      }),
  },
  {
    name: "worker_status",
    description: "The worker's health: migrations applied, jobs processed.",
    inputSchema: schema({}),
    run: (_a, env) => workerCall(env, "GET", "/health"),
  },
  {
    name: "list_tools",
    description: "Names of every tool of this server.",
    inputSchema: schema({}),
    run: () => TOOLS.map((t) => t.name),
  },
  {
    name: "timestamp_to_iso",
    description: "Converts a Unix timestamp (seconds) to ISO 8601.",
    inputSchema: schema({ seconds: num("Unix time") }),
    run: (a) => new Date(requireArg(a, "seconds", "number") * 1000).toISOString(),
  },
];

module.exports = { TOOLS };

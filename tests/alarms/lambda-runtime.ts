/**
 * A stand-in for the Lambda Node.js runtime: unpacks a function's code archive into a folder,
 * adds stand-ins for the AWS SDK modules the runtime provides (they record what the handler
 * sends), and invokes the handler in a fresh Node process.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { promisify } from "util";

/** Writes every file of an AssetArchive (string and file assets) under `dir`. */
export async function unpackArchive(archive: unknown, dir: string): Promise<string[]> {
  if (!pulumi.asset.AssetArchive.isInstance(archive as pulumi.asset.AssetArchive)) {
    throw new Error(`the function's code is not an AssetArchive: ${JSON.stringify(archive)}`);
  }
  const assets = await (archive as pulumi.asset.AssetArchive).assets;
  const names: string[] = [];
  for (const [name, a] of Object.entries(assets)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (pulumi.asset.StringAsset.isInstance(a as pulumi.asset.StringAsset)) {
      fs.writeFileSync(file, await (a as pulumi.asset.StringAsset).text!);
    } else if (pulumi.asset.FileAsset.isInstance(a as pulumi.asset.FileAsset)) {
      fs.copyFileSync(await (a as pulumi.asset.FileAsset).path!, file);
    } else {
      throw new Error(`archive entry ${name} is neither a string nor a file asset`);
    }
    names.push(name);
  }
  return names.sort();
}

export interface SdkCall {
  kind: "ssm" | "sns" | "s3-get" | "s3-put";
  input: Record<string, unknown>;
}

/** SDK stand-ins for SSM and SNS; each call is appended to `<dir>/sdk.log`. */
export function installSdkStandIns(dir: string): void {
  const sdk = (name: string, body: string) => {
    const mod = path.join(dir, "node_modules", "@aws-sdk", name);
    fs.mkdirSync(mod, { recursive: true });
    fs.writeFileSync(path.join(mod, "index.js"), body);
  };
  const record = `(kind, input) => require("fs").appendFileSync(process.env.SDK_LOG, JSON.stringify({ kind, input }) + "\\n")`;
  sdk(
    "client-ssm",
    `const record = ${record};
     exports.GetParameterCommand = class { constructor(input) { this.input = input; } };
     exports.SSMClient = class { async send(c) { record("ssm", c.input); return { Parameter: { Value: process.env.FAKE_SECRETS } }; } };`,
  );
  sdk(
    "client-sns",
    `const record = ${record};
     exports.PublishCommand = class { constructor(input) { this.input = input; } };
     exports.SNSClient = class { async send(c) { record("sns", c.input); return {}; } };`,
  );
}

/** Invokes `index.handler` of the unpacked function; resolves to its report and the SDK calls. */
export async function invokeHandler(
  dir: string,
  env: Record<string, string>,
): Promise<{ report: { ok: boolean; summary: string }; calls: SdkCall[]; stdout: string }> {
  const log = path.join(dir, "sdk.log");
  // Asynchronously: the stand-in fleet answers from the test's own process.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "-e",
      "require('./index.js').handler().then(r => console.log('REPORT ' + JSON.stringify({ ok: r.ok, summary: r.summary })))",
    ],
    { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", SDK_LOG: log, ...env } },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("REPORT "));
  if (!line) throw new Error(`the handler printed no report:\n${stdout}`);
  const calls = fs.existsSync(log)
    ? fs
        .readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SdkCall)
    : [];
  return { report: JSON.parse(line.slice("REPORT ".length)), calls, stdout };
}

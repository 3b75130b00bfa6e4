/**
 * A real S3-compatible server for the evidence tests: `moto_server` (PyPI `moto[server]`,
 * installed by scripts/setup-test-tools.sh) on a free loopback port, stopped by the caller.
 */
import { ChildProcess, spawn } from "child_process";
import { CreateBucketCommand, ListObjectsV2Command, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { testTool } from "../alarms/amtool";
import { freePort } from "../support/postgres";

/** Credentials moto accepts (any); set for this process and passed to the engine runs. */
export const MOTO_ENV = {
  AWS_ACCESS_KEY_ID: "fleetgate-test",
  AWS_SECRET_ACCESS_KEY: "fleetgate-test-secret",
  AWS_REGION: "us-east-1",
};

export interface Moto {
  endpoint: string;
  port: number;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Every object (key → parsed JSON body) under a prefix. */
  objects(bucket: string, prefix: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  Object.assign(process.env, MOTO_ENV);
  const port = await freePort();
  const child: ChildProcess = spawn(testTool("moto_server"), ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const endpoint = `http://127.0.0.1:${port}`;
  // Bounded: moto answers within a few seconds of starting.
  let ready = false;
  for (let i = 0; i < 100 && !ready && child.exitCode === null; i++) {
    ready = await fetch(`${endpoint}/`).then(
      () => true,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`moto_server did not answer on ${endpoint}:\n${stderr}`);
  }
  const client = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true });
  return {
    endpoint,
    port,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    objects: async (bucket, prefix) => {
      const out: Record<string, unknown> = {};
      const list = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      for (const o of list.Contents ?? []) {
        const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
        const text = (await body.Body!.transformToString("utf8")) ?? "";
        try {
          out[o.Key!] = JSON.parse(text);
        } catch {
          out[o.Key!] = text;
        }
      }
      return out;
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

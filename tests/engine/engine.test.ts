/**
 * Proof that the offline engine works on this machine: the real CLI previews, updates and
 * destroys a throwaway TypeScript project (a component with a dynamic resource) on a file
 * backend, and the state holds what the program registered.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { engineEnv, readStateFile, REPO_ROOT, runPulumi, tempDir } from "../support/engine";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";

const counterProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) {
    return { id: "counter-" + inputs.name, outs: { ...inputs, doubled: inputs.value * 2 } };
  },
  async diff(_id: string, olds: any, news: any) {
    return { changes: olds.value !== news.value, replaces: olds.name !== news.name ? ["name"] : [] };
  },
  async update(_id: string, _olds: any, news: any) {
    return { outs: { ...news, doubled: news.value * 2 } };
  },
};

class Counter extends pulumi.dynamic.Resource {
  public readonly doubled!: pulumi.Output<number>;
  constructor(name: string, args: { name: string; value: number }, opts?: pulumi.CustomResourceOptions) {
    super(counterProvider, name, { doubled: undefined, ...args }, opts, "enginetest", "Counter");
  }
}

class Pair extends pulumi.ComponentResource {
  public readonly doubled: pulumi.Output<number>;
  constructor(name: string, value: number, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:enginetest:Pair", name, {}, opts);
    const c = new Counter(name + "-counter", { name, value }, { parent: this });
    this.doubled = c.doubled;
    this.registerOutputs({ doubled: this.doubled });
  }
}

const value = new pulumi.Config().requireNumber("value");
export const doubled = new Pair("pair", value).doubled;
`;

describe("engine: the real Pulumi CLI on this machine", function () {
  this.timeout(240_000);
  let dir: string;
  let env: Record<string, string>;

  before(() => {
    dir = tempDir("engine");
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: enginetest\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
    // The project's own compiler options, so a setting that breaks Pulumi programs (e.g. class
    // fields with define semantics wiping resource outputs) fails here.
    const { config } = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), ts.sys.readFile);
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: config.compilerOptions }),
    );
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "enginetest", main: "index.ts" }),
    );
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    env = engineEnv(path.join(dir, ".state"));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports the pinned CLI version", () => {
    const pinned = fs.readFileSync(path.join(REPO_ROOT, "scripts", "engine", "versions.env"), "utf8");
    const want = /PULUMI_CLI_VERSION=(v[\d.]+)/.exec(pinned)![1];
    const r = runPulumi(["version"], { cwd: dir, env });
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(r.output.trim(), want);
  });

  it("previews, updates, changes and destroys a component with a dynamic resource", () => {
    const run = (...args: string[]) => {
      const r = runPulumi(args, { cwd: dir, env });
      assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.output}`);
      return r.output;
    };
    run("stack", "init", "throwaway");
    run("config", "set", "value", "21");

    const preview = run("preview");
    assert.match(preview, /\+ .*pulumi:pulumi:Stack/);
    assert.match(preview, /\+ .*fleetgate:enginetest:Pair/);
    assert.match(preview, /\+ .*pulumi-nodejs:dynamic\/enginetest:Counter/);
    assert.match(preview, /3 to create/);

    run("up", "--yes");
    assert.deepStrictEqual(JSON.parse(run("stack", "output", "--json")), { doubled: 42 });

    const state = JSON.parse(readStateFile(path.join(dir, ".state"), "enginetest", "throwaway"));
    const resources = state.checkpoint.latest.resources as {
      type: string;
      id?: string;
      outputs?: Record<string, unknown>;
    }[];
    const counter = resources.find((r) => r.type === "pulumi-nodejs:dynamic/enginetest:Counter");
    assert.ok(counter, "the dynamic resource is in the state");
    assert.strictEqual(counter.id, "counter-pair");
    assert.strictEqual(counter.outputs?.doubled, 42);
    assert.ok(resources.some((r) => r.type === "fleetgate:enginetest:Pair"));

    run("config", "set", "value", "5");
    const update = run("up", "--yes");
    assert.match(update, /1 updated/);
    assert.deepStrictEqual(JSON.parse(run("stack", "output", "--json")), { doubled: 10 });

    const noop = run("up", "--yes");
    assert.doesNotMatch(noop, /updated|created|deleted/);

    run("destroy", "--yes");
    const after = JSON.parse(readStateFile(path.join(dir, ".state"), "enginetest", "throwaway"));
    assert.strictEqual((after.checkpoint.latest?.resources ?? []).length, 0);
  });
});

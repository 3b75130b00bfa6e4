/**
 * The provider doubles in-process (no engine): they refuse a missing required input as the real
 * provider's check does, auto-name as it does, compute the outputs the program reads, treat an
 * omitted computed input as no change, answer only the data sources they know, generate
 * passwords that honour the resource's settings, and log every call without secret values.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { doubleProvider, readCalls } from "../doubles/provider";
import { isSecret, secret } from "../doubles/wire";
import { REPO_ROOT, tempDir } from "../support/engine";

const PACKAGES = path.join(REPO_ROOT, "node_modules", "@pulumi");
const urn = (type: string, name: string) =>
  `urn:pulumi:test::fleetgate::fleetgate:fleet:Fleet$${type}::${name}`;

describe("provider doubles (in-process)", () => {
  let dir: string;
  let log: string;
  const double = (pkg: string) => doubleProvider({ pkg, packagesRoot: PACKAGES, logFile: log });

  beforeEach(() => {
    dir = tempDir("doubles");
    log = path.join(dir, "calls.jsonl");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("check refuses a missing required input, naming it, as the real provider does", async () => {
    const github = double("github");
    const r = await github.check!(
      urn("github:index/repositoryFile:RepositoryFile", "wf"),
      {},
      {
        repository: "acme/app",
        file: ".github/workflows/ci.yml",
      },
    );
    assert.deepStrictEqual(
      r.failures?.map((f) => f.property),
      ["content"],
    );
    assert.match(r.failures![0].reason, /Missing required argument: "content"/);
    const ok = await github.check!(
      urn("github:index/repositoryFile:RepositoryFile", "wf"),
      {},
      {
        repository: "acme/app",
        file: ".github/workflows/ci.yml",
        content: "x",
      },
    );
    assert.deepStrictEqual(ok.failures, []);
  });

  it("an unknown type is refused; aws auto-names once and keeps the name on later checks", async () => {
    const aws = double("aws");
    await assert.rejects(
      aws.check!(urn("aws:sns/nope:Nope", "x"), {}, {}),
      /unknown resource type aws:sns\/nope:Nope/,
    );
    const first = await aws.check!(urn("aws:sns/topic:Topic", "alerts"), {}, {});
    assert.match(first.inputs.name, /^alerts-[0-9a-f]{7}$/);
    const again = await aws.check!(urn("aws:sns/topic:Topic", "alerts"), first.inputs, {});
    assert.strictEqual(again.inputs.name, first.inputs.name);
  });

  it("create computes ids and ARNs the program reads, echoing the inputs", async () => {
    const aws = double("aws");
    const topic = await aws.create!(urn("aws:sns/topic:Topic", "p1"), {
      name: "refapp-prod-p1",
      region: "us-east-1",
    });
    assert.strictEqual(topic.id, "arn:aws:sns:us-east-1:123456789012:refapp-prod-p1");
    assert.strictEqual(topic.outs.arn, topic.id);
    assert.strictEqual(topic.outs.name, "refapp-prod-p1");
    const fn = await aws.create!(urn("aws:lambda/function:Function", "fn"), { name: "mon", role: "r" });
    assert.strictEqual(fn.outs.arn, "arn:aws:lambda:us-east-1:123456789012:function:mon");
    const hc = await aws.create!(urn("aws:route53/healthCheck:HealthCheck", "hc"), { type: "HTTPS" });
    assert.match(hc.id, /^[0-9a-f-]{36}$/);
    const file = await double("github").create!(urn("github:index/repositoryFile:RepositoryFile", "wf"), {
      repository: "acme/app",
      file: "a.yml",
      content: "hello\n",
    });
    assert.strictEqual(file.id, "acme/app/a.yml");
    // git hash-object of "hello\n"
    assert.strictEqual(file.outs.sha, "ce013625030ba8dba906f756967f9e9ca394464a");
  });

  it("diff: a changed input is a change; an omitted computed input (statementId) is not", async () => {
    const aws = double("aws");
    const type = "aws:lambda/permission:Permission";
    const created = await aws.create!(urn(type, "p"), {
      action: "lambda:InvokeFunction",
      function: "f",
      principal: "events.amazonaws.com",
    });
    const inputs = { action: "lambda:InvokeFunction", function: "f", principal: "events.amazonaws.com" };
    assert.strictEqual((await aws.diff!(created.id, urn(type, "p"), created.outs, inputs)).changes, false);
    const changed = await aws.diff!(created.id, urn(type, "p"), created.outs, {
      ...inputs,
      principal: "sns.amazonaws.com",
    });
    assert.strictEqual(changed.changes, true);
    const dropped = await aws.diff!(
      created.id,
      urn(type, "p"),
      { ...created.outs, qualifier: "live" },
      inputs,
    );
    assert.strictEqual(dropped.changes, true, "dropping a plain optional input is a change");
  });

  it("invoke answers getUser/getTeam with stable numeric ids and refuses other functions", async () => {
    const github = double("github");
    const a = await github.invoke!("github:index/getUser:getUser", { username: "fleetgate-lead" });
    const b = await github.invoke!("github:index/getUser:getUser", { username: "fleetgate-lead" });
    assert.match(a.outputs.id, /^\d+$/);
    assert.strictEqual(a.outputs.id, b.outputs.id);
    const team = await github.invoke!("github:index/getTeam:getTeam", { slug: "platform-leads" });
    assert.match(team.outputs.id, /^\d+$/);
    await assert.rejects(github.invoke!("github:index/getRepository:getRepository", {}), /unknown function/);
  });

  it("RandomPassword: length and classes honoured, result secret; the log never holds it", async () => {
    const random = double("random");
    const type = "random:index/randomPassword:RandomPassword";
    const r = await random.create!(urn(type, "pw"), { length: 40, special: false, minNumeric: 5 });
    assert.ok(isSecret(r.outs.result), "result is marked secret");
    const value = (r.outs.result as { value: string }).value;
    assert.match(value, /^[A-Za-z0-9]{40}$/);
    assert.ok((value.match(/[0-9]/g) ?? []).length >= 5);
    const longer = await random.diff!("none", urn(type, "pw"), r.outs, {
      length: 48,
      special: false,
      minNumeric: 5,
    });
    assert.deepStrictEqual(longer.replaces, ["length"], "a random resource is replaced, never updated");
    await double("github").create!(urn("github:index/actionsSecret:ActionsSecret", "s"), {
      repository: "acme/app",
      secretName: "TOKEN",
      plaintextValue: secret("canary-in-a-secret"),
    });
    const text = fs.readFileSync(log, "utf8");
    assert.ok(!text.includes(value) && !text.includes("canary-in-a-secret"), "a secret value is in the log");
    const calls = readCalls(log);
    assert.deepStrictEqual(
      calls.map((c) => [c.pkg, c.method, c.type]),
      [
        ["random", "create", type],
        ["random", "diff", type],
        ["github", "create", "github:index/actionsSecret:ActionsSecret"],
      ],
    );
    assert.strictEqual((calls[2].inputs as { plaintextValue: string }).plaintextValue, "[secret]");
  });
});

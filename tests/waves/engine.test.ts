/**
 * Deploy waves through the real Pulumi engine: this project (`index.ts`) as a `test-waves-*` stack
 * against the Render double, with Haven's runbook as config: embedder scaled down → catalog →
 * gateway (after catalog) → embedder (after gateway) scaled back up. The checks answer from an
 * HTTP server in this process, which notes how far the double's request log had got at each call,
 * so the order across both servers can be asserted.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import * as YAML from "yaml";
import { engineEnv, REPO_ROOT, runPulumiAsync, tempDir } from "../support/engine";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_waves_engine_key";

describe("deploy waves through the engine (Render double)", function () {
  this.timeout(600_000);
  this.bail(true);
  const stack = `test-waves-${process.pid}-${Date.now().toString(36)}`;
  const stackFile = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  let dir: string;
  let env: Record<string, string>;
  let render: RenderDouble;
  let checks: http.Server;
  let checksUrl: string;
  /** Status the catalog's health check answers with. */
  let catalogStatus = 200;
  /** Each health call: which service, and how many requests the double had seen by then. */
  const healthCalls: { service: string; doubleRequests: number }[] = [];
  const outputs: string[] = [];

  const pulumi = async (...args: string[]) => {
    const r = await runPulumiAsync([...args, "--stack", stack], { cwd: REPO_ROOT, env });
    outputs.push(r.output);
    return r;
  };
  const ok = async (...args: string[]) => {
    const r = await pulumi(...args);
    assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.output}`);
    return r.output;
  };

  function writeConfig(version: string) {
    const doc = YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {};
    doc.config = {
      ...doc.config,
      "fleetgate:platform": {
        kind: "render",
        baseUrl: render.url,
        ownerId: "tea-waves",
        requestsPerSecond: 200,
      },
      "fleetgate:fleet": {
        name: "haven",
        environment: "test",
        services: [
          {
            name: "wv-catalog",
            type: "private",
            image: `ghcr.io/h/catalog:${version}`,
            url: `${checksUrl}/catalog`,
          },
          {
            name: "wv-gateway",
            type: "web",
            image: `ghcr.io/h/gateway:${version}`,
            healthCheckPath: "/health",
            url: `${checksUrl}/gateway`,
            after: ["wv-catalog"],
          },
          {
            name: "wv-embedder",
            type: "worker",
            image: `ghcr.io/h/embedder:${version}`,
            instances: 2,
            after: ["wv-gateway"],
          },
        ],
        rollout: { scaleDown: ["wv-embedder"] },
      },
      "fleetgate:gates": {
        smoke: {
          timeoutMs: 3000,
          checks: [
            { name: "catalog-up", kind: "http", target: "wv-catalog", path: "/health" },
            { name: "gateway-up", kind: "http", target: "wv-gateway", path: "/health" },
          ],
        },
      },
    };
    fs.writeFileSync(stackFile, YAML.stringify(doc));
  }

  const id = (name: string) => render.serviceByName(name)!.id;
  /** Position (1-based `n`) of the first matching request in the double's log, or undefined. */
  const firstAt = (method: string, p: string) =>
    render.requests.find((r) => r.method === method && r.path === p)?.n;
  const deployPath = (name: string) => `/services/${id(name)}/deploys`;
  const scalePath = (name: string) => `/services/${id(name)}/scale`;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
    checks = http.createServer((req, res) => {
      const service = (req.url ?? "").split("/")[1];
      healthCalls.push({ service, doubleRequests: render.requests.length });
      res.writeHead(service === "catalog" ? catalogStatus : 200, { "Content-Type": "text/plain" });
      res.end("ok");
    });
    await new Promise<void>((resolve) => checks.listen(0, "127.0.0.1", resolve));
    checksUrl = `http://127.0.0.1:${(checks.address() as AddressInfo).port}`;
    dir = tempDir("waves-engine");
    env = engineEnv(dir, { RENDER_API_KEY: KEY });
    await ok("stack", "init");
  });

  after(async () => {
    await render.close();
    checks.closeAllConnections();
    await new Promise((resolve) => checks.close(resolve));
    fs.rmSync(stackFile, { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(outputs.slice(-2).join("\n----\n"));
  });

  it("deploys wave by wave, each after the previous wave's checks, scaling the worker down and up around it", async () => {
    writeConfig("1.0.0");
    await ok("up", "--yes", "--skip-preview");
    const embedderDown = render.requests.find(
      (r) => r.method === "POST" && r.path === scalePath("wv-embedder"),
    )!;
    const catalogDeploy = firstAt("POST", deployPath("wv-catalog"))!;
    const gatewayDeploy = firstAt("POST", deployPath("wv-gateway"))!;
    const embedderDeploy = firstAt("POST", deployPath("wv-embedder"))!;
    const scales = render.requests.filter((r) => r.method === "POST" && r.path === scalePath("wv-embedder"));
    assert.strictEqual(scales.length, 2, "one scale down, one scale up");
    // Scale down first, then catalog, gateway, embedder, then the scale back up.
    assert.ok(embedderDown.n < catalogDeploy, "scaled down before the first wave deploys");
    assert.ok(catalogDeploy < gatewayDeploy && gatewayDeploy < embedderDeploy, "waves in order");
    assert.ok(scales[1].n > embedderDeploy, "scaled up after its own deploy");
    assert.strictEqual(render.serviceByName("wv-embedder")!.serviceDetails.numInstances, 2);
    // The catalog's check ran after its deploy and before the gateway's deploy was sent.
    const catalogCheck = healthCalls.find((c) => c.service === "catalog")!;
    assert.ok(catalogCheck.doubleRequests >= catalogDeploy && catalogCheck.doubleRequests < gatewayDeploy);
    // The gateway's wave (1) is checked before the worker's wave (2) deploys.
    const gatewayCheck = healthCalls.find((c) => c.service === "gateway")!;
    assert.ok(gatewayCheck.doubleRequests >= gatewayDeploy && gatewayCheck.doubleRequests < embedderDeploy);
    assert.deepStrictEqual(
      healthCalls.map((c) => c.service).sort(),
      ["catalog", "gateway"],
      "each check ran once",
    );
    for (const n of ["wv-catalog", "wv-gateway", "wv-embedder"])
      assert.strictEqual(render.deploysOf(id(n))[0].status, "live");
  });

  it("a failing wave-0 check stops the rollout: the next waves never deploy, up fails with the table", async () => {
    catalogStatus = 503;
    healthCalls.length = 0;
    render.resetRequests();
    const gatewayDeploys = render.deploysOf(id("wv-gateway")).length;
    const embedderDeploys = render.deploysOf(id("wv-embedder")).length;
    writeConfig("1.1.0");
    const r = await pulumi("up", "--yes", "--skip-preview");
    assert.notStrictEqual(r.code, 0, "up must fail");
    assert.match(r.output, /smoke suite failed: 1 of 1 checks failed: catalog-up/);
    assert.match(r.output, /CHECK\s+TARGET\s+STATUS\s+LATENCY\s+REASON/);
    assert.match(r.output, /catalog-up\s+wv-catalog\s+FAIL/);
    // The catalog (wave 0) was deployed; the gateway and the embedder were never asked to deploy.
    assert.strictEqual(render.count("POST", deployPath("wv-catalog")), 1);
    assert.strictEqual(render.count("POST", deployPath("wv-gateway")), 0);
    assert.strictEqual(render.count("POST", deployPath("wv-embedder")), 0);
    assert.strictEqual(render.deploysOf(id("wv-gateway")).length, gatewayDeploys);
    assert.strictEqual(render.deploysOf(id("wv-embedder")).length, embedderDeploys);
    // The worker went down for the new revision and stays down (its scale-up waits for its deploy).
    assert.strictEqual(render.count("POST", scalePath("wv-embedder")), 1);
    assert.strictEqual(render.serviceByName("wv-embedder")!.serviceDetails.numInstances, 0);
    assert.deepStrictEqual(
      healthCalls.map((c) => c.service),
      ["catalog"],
      "the gateway's check never ran",
    );
  });

  it("once the catalog is healthy again, re-running finishes the rollout and scales the worker back up", async () => {
    catalogStatus = 200;
    render.resetRequests();
    await ok("up", "--yes", "--skip-preview");
    assert.strictEqual(render.count("POST", deployPath("wv-gateway")), 1);
    assert.strictEqual(render.count("POST", deployPath("wv-embedder")), 1);
    assert.strictEqual(render.serviceByName("wv-embedder")!.serviceDetails.numInstances, 2);
    await ok("destroy", "--yes", "--skip-preview");
  });
});

/**
 * scripts/setup-engine.sh's decision (issue 21) and its build lock (issue 18), with fake
 * `pulumi`, `pulumi-language-nodejs` and `go` scripts on PATH: nothing is built or downloaded.
 *
 * - a newer official pair (CLI and its own language host of one version) that runs a policy
 *   pack is used, and the probe's answer is cached;
 * - a newer CLI beside an old host, a pair that cannot run a policy pack, an older CLI, or no
 *   CLI at all: the pinned build, with a message saying why and what the build costs;
 * - two setups at once against an empty cache: one builds, the other waits, both succeed.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/engine";

const SCRIPT = path.join(REPO_ROOT, "scripts", "setup-engine.sh");
const PINNED_DIR = "pinned-engine";

interface Sandbox {
  root: string;
  log: string;
  /** The user's install folder (fake pulumi + host), if any. */
  own?: string;
  env: NodeJS.ProcessEnv;
}

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o755 });
}

/**
 * A sandbox with a fake Go toolchain (its `build` writes a tiny executable after `sleepSeconds`)
 * and, optionally, a user's install: `pulumi` reporting `cli`, and beside it a language host
 * reporting `host` (undefined: an old host without -version), whose policy-pack probe passes
 * when `probeOk`.
 */
function sandbox(opts: {
  cli?: string;
  host?: string | null;
  probeOk?: boolean;
  go?: boolean;
  sleepSeconds?: number;
  /** Leave `flock` off PATH, as on macOS. */
  noFlock?: boolean;
}): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fg-setup-"));
  const log = path.join(root, "calls.log");
  fs.writeFileSync(log, "");
  const bins: string[] = [];
  let own: string | undefined;
  if (opts.cli) {
    own = path.join(root, "own-bin");
    write(
      path.join(own, "pulumi"),
      `#!/bin/sh
echo "pulumi $*" >> "${log}"
case "$1" in
  version) echo "v${opts.cli}" ;;
  stack) exit 0 ;;
  preview)
    if [ "${opts.probeOk ? 1 : 0}" = 1 ]; then echo "    advisory: [probe-ran] fleetgate-engine-probe-ran"; exit 0; fi
    echo "error: could not read plugin [policy]: not supported"; exit 255 ;;
esac
`,
    );
    if (opts.host !== null) {
      const answer =
        opts.host === undefined
          ? 'echo "flag provided but not defined: -version" >&2; exit 2'
          : `echo "v${opts.host}"; exit 0`;
      write(
        path.join(own, "pulumi-language-nodejs"),
        `#!/bin/sh\nif [ "$1" = "-version" ]; then ${answer}; fi\nexit 0\n`,
      );
    }
    bins.push(own);
  }
  if (opts.go !== false) {
    const modcache = path.join(root, "gomodcache");
    write(
      path.join(modcache, "github.com/pulumi/pulumi/sdk/v3@v3.68.0/nodejs/dist/pulumi-analyzer-policy"),
      "#!/bin/sh\n",
    );
    write(
      path.join(root, "go-bin", "go"),
      `#!/bin/sh
echo "go $*" >> "${log}"
case "$1" in
  env) echo "${modcache}" ;;
  build)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = "-o" ] && out=$a; prev=$a; done
    sleep ${opts.sleepSeconds ?? 0}
    printf '#!/bin/sh\\necho v3.220.0\\n' > "$out"; chmod +x "$out" ;;
esac
`,
    );
    bins.push(path.join(root, "go-bin"));
  }
  // Only the fakes, node and the base system: never the real engine or a real Go.
  let system = ["/usr/bin", "/bin"];
  if (opts.noFlock) {
    // The base system's tools without flock (/bin is /usr/bin on this system: link them one by one).
    const dir = path.join(root, "system-bin");
    fs.mkdirSync(dir);
    for (const f of fs.readdirSync("/usr/bin"))
      if (f !== "flock") fs.symlinkSync(path.join("/usr/bin", f), path.join(dir, f));
    system = [dir];
  }
  const nodeDir = path.dirname(process.execPath);
  const PATH = [...bins, ...(opts.noFlock && nodeDir === "/usr/bin" ? [] : [nodeDir]), ...system].join(":");
  const env: NodeJS.ProcessEnv = {
    PATH,
    HOME: root,
    XDG_CACHE_HOME: path.join(root, "cache"),
    FLEETGATE_ENGINE_CACHE: path.join(root, PINNED_DIR),
    TMPDIR: root,
  };
  return { root, log, own, env };
}

function setup(sb: Sandbox) {
  const r = spawnSync("bash", [SCRIPT], { env: sb.env, encoding: "utf8", timeout: 60_000 });
  const stdout = r.stdout.trim().split("\n");
  return { code: r.status, dir: stdout[stdout.length - 1], stderr: r.stderr };
}

function calls(sb: Sandbox): string[] {
  return fs.readFileSync(sb.log, "utf8").split("\n").filter(Boolean);
}

const goBuilds = (sb: Sandbox) => calls(sb).filter((c) => c.startsWith("go build"));
const probes = (sb: Sandbox) => calls(sb).filter((c) => c.startsWith("pulumi preview"));

describe("setup-engine: which Pulumi CLI a setup uses (issue 21)", function () {
  this.timeout(60_000);
  const boxes: Sandbox[] = [];
  const box = (o: Parameters<typeof sandbox>[0]) => {
    const sb = sandbox(o);
    boxes.push(sb);
    return sb;
  };
  after(() => boxes.forEach((b) => fs.rmSync(b.root, { recursive: true, force: true })));

  it("uses a newer official pair that runs a policy pack, probing only once", () => {
    const sb = box({ cli: "3.230.0", host: "3.230.0", probeOk: true });
    const first = setup(sb);
    assert.strictEqual(first.code, 0, first.stderr);
    assert.strictEqual(first.dir, sb.own);
    assert.match(first.stderr, /checking once that pulumi 3\.230\.0 .* runs policy packs/);
    assert.match(first.stderr, /using pulumi 3\.230\.0 from /);
    const second = setup(sb);
    assert.strictEqual(second.dir, sb.own);
    assert.strictEqual(probes(sb).length, 1, "the probe's answer is cached");
    assert.deepStrictEqual(goBuilds(sb), []);
    assert.ok(!fs.existsSync(path.join(sb.root, PINNED_DIR, "pulumi")));
  });

  it("builds the pinned engine for a newer CLI beside an old language host, saying why", () => {
    const sb = box({ cli: "3.230.0", host: undefined, probeOk: true });
    const r = setup(sb);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.dir, path.join(sb.root, PINNED_DIR));
    assert.match(
      r.stderr,
      /pulumi 3\.230\.0 has pulumi-language-nodejs of an unknown \(older\) version beside it/,
    );
    assert.match(r.stderr, /from source with Go .*about 5 minutes and about 2\.6 GB/);
    assert.deepStrictEqual(probes(sb), [], "a mismatched pair is not even probed");
    assert.strictEqual(goBuilds(sb).length, 2, "CLI and language host");
    for (const f of [
      "pulumi",
      "pulumi-language-nodejs",
      "pulumi-analyzer-policy",
      "pulumi-resource-pulumi-nodejs",
    ]) {
      assert.ok(fs.existsSync(path.join(r.dir, f)), f);
    }
  });

  it("builds the pinned engine when the pair's versions differ", () => {
    const sb = box({ cli: "3.230.0", host: "3.229.0", probeOk: true });
    const r = setup(sb);
    assert.strictEqual(r.dir, path.join(sb.root, PINNED_DIR));
    assert.match(
      r.stderr,
      /pulumi-language-nodejs 3\.229\.0 beside it; policy packs need the pair of one release/,
    );
  });

  it("falls back to the pinned build when the pair cannot run a policy pack, and remembers it", () => {
    const sb = box({ cli: "3.230.0", host: "3.230.0", probeOk: false });
    const r = setup(sb);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.dir, path.join(sb.root, PINNED_DIR));
    assert.match(r.stderr, /could not read plugin \[policy\]: not supported/);
    assert.match(
      r.stderr,
      /pulumi 3\.230\.0 in .* could not run a policy pack \(answer cached in .*; delete it to ask again\)/,
    );
    setup(sb);
    assert.strictEqual(probes(sb).length, 1, "the negative answer is cached too");
    assert.strictEqual(goBuilds(sb).length, 2, "built once, then taken from the cache");
  });

  it("builds the pinned engine for a CLI older than the SDK", () => {
    const sb = box({ cli: "3.200.0", host: "3.200.0", probeOk: true });
    const r = setup(sb);
    assert.strictEqual(r.dir, path.join(sb.root, PINNED_DIR));
    assert.match(r.stderr, /pulumi 3\.200\.0 on PATH is older than the SDK \(3\.220\.0\)/);
  });

  it("builds the pinned engine when no CLI is installed", () => {
    const sb = box({});
    const r = setup(sb);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.dir, path.join(sb.root, PINNED_DIR));
    assert.match(r.stderr, /no usable Pulumi CLI: no pulumi on PATH/);
    assert.strictEqual(goBuilds(sb).length, 2);
  });

  it("without a CLI and without Go, stops and says how to get going", () => {
    const sb = box({ go: false });
    const r = setup(sb);
    assert.notStrictEqual(r.code, 0);
    assert.match(
      r.stderr,
      /needs Go .*install the Pulumi CLI 3\.220\.0 or newer with its standard installer/,
    );
  });

  for (const noFlock of [false, true]) {
    it(`two setups at once against an empty cache: one builds, the other waits, both succeed${noFlock ? " (no flock: mkdir lock)" : ""}`, async () => {
      const sb = box({ sleepSeconds: 2, noFlock });
      const run = () =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn("bash", [SCRIPT], { env: sb.env });
          child.on("error", (e) => resolve({ code: -1, out: "", err: String(e) }));
          let out = "";
          let err = "";
          child.stdout.on("data", (d) => (out += d));
          child.stderr.on("data", (d) => (err += d));
          child.on("close", (code) => resolve({ code, out: out.trim(), err }));
        });
      const [a, b] = await Promise.all([run(), run()]);
      assert.strictEqual(a.code, 0, a.err);
      assert.strictEqual(b.code, 0, b.err);
      assert.strictEqual(a.out, path.join(sb.root, PINNED_DIR));
      assert.strictEqual(b.out, a.out);
      assert.strictEqual(goBuilds(sb).length, 2, "one build of CLI and host, not two");
      assert.ok(/waiting for it/.test(a.err + b.err), "the second setup says it waits");
      const leftovers = fs.readdirSync(path.join(sb.root, PINNED_DIR)).filter((f) => f.startsWith("."));
      assert.deepStrictEqual(leftovers, [], "no temporary files left in the cache");
      assert.ok(!fs.existsSync(path.join(sb.root, `${PINNED_DIR}.lock.d`)), "the mkdir lock is released");
      // flock locks a file; the fallback a folder: which one ran shows in what is left.
      assert.strictEqual(fs.existsSync(path.join(sb.root, `${PINNED_DIR}.lock`)), !noFlock);
    });
  }
});

describe("up-local: a failed setup step stops the script with its message (issue 18)", function () {
  this.timeout(60_000);
  it("stops after setup fails instead of running pulumi", () => {
    const sb = sandbox({ go: false });
    try {
      const r = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "up-local.sh")], {
        env: sb.env,
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.notStrictEqual(r.status, 0);
      assert.match(r.stderr, /setup-engine: building the pinned engine needs Go/);
      assert.match(r.stderr, /up-local: setup failed; fix the problem above and run again/);
      assert.doesNotMatch(r.stderr + r.stdout, /command not found/);
    } finally {
      fs.rmSync(sb.root, { recursive: true, force: true });
    }
  });
});

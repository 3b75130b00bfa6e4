/**
 * Wall time of `pulumi preview` of the prod stack through the real engine, with the provider
 * doubles (tests/doubles) for aws/github/random/docker and the Render double: the preview
 * alone and with the policy pack, each run three times (the first also starts the plugins
 * cold), printed with the engine's version and the number of resources.
 * Usage: npx ts-node --transpile-only bench/preview-prod.ts
 */
import { REPO_ROOT, runPulumiAsync } from "../tests/support/engine";
import { EngineStack, POLICY_PACK, shippedConfig } from "../tests/stacks-engine/support";

async function timed(stack: EngineStack, args: string[]): Promise<{ seconds: number; output: string }> {
  const started = process.hrtime.bigint();
  const r = await stack.run(...args);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.output}`);
  return { seconds, output: r.output };
}

async function main() {
  const stack = await EngineStack.create("bench-preview");
  const figures: [string, number[]][] = [
    ["preview", []],
    ["preview --policy-pack", []],
  ];
  let resources = "?";
  const version = (await runPulumiAsync(["version"], { cwd: REPO_ROOT, env: stack.env })).output.trim();
  try {
    stack.writeConfig(shippedConfig("prod"));
    for (let i = 0; i < 3; i++) {
      const plain = await timed(stack, ["preview"]);
      figures[0][1].push(plain.seconds);
      resources = /\+ (\d+) to create/.exec(plain.output)?.[1] ?? resources;
      figures[1][1].push((await timed(stack, ["preview", "--policy-pack", POLICY_PACK])).seconds);
    }
  } finally {
    await stack.dispose();
  }
  console.log(
    `pulumi ${version}, node ${process.version}, prod stack (${resources} resources), provider doubles`,
  );
  for (const [label, runs] of figures) {
    const sorted = [...runs].sort((a, b) => a - b);
    console.log(
      `  ${label.padEnd(22)} median ${sorted[1].toFixed(1)} s  (runs: ${runs.map((s) => s.toFixed(1)).join(", ")} s)`,
    );
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});

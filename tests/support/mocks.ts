/**
 * Helpers for tests that build a whole Fleet under `pulumi.runtime.setMocks`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import type { Fleet } from "../../components/fleet";
import type { StackConfig } from "../../config/schema";

// Internal but stable: the drain `pulumi.runtime.disconnect` waits for.
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Every secret resolves to one marked-secret placeholder. */
export const MOCK_SECRETS = {
  resolve: () => pulumi.secret("mock-secret-value"),
  value: (v: string | object) =>
    typeof v === "string" ? pulumi.output(v) : pulumi.secret("mock-secret-value"),
};

/** Waits until no resource has been registered for a while (registrations are asynchronous). */
async function settled(count: () => number) {
  let last = -1;
  let stableFor = 0;
  while (stableFor < 300) {
    await new Promise((r) => setTimeout(r, 50));
    if (count() === last) stableFor += 50;
    else [last, stableFor] = [count(), 0];
  }
}

/**
 * Builds the Fleet (the mocks must already be set and `FleetClass` loaded after them) and waits
 * until every registration finished. A component that fails inside an apply leaves the queue
 * hanging: its error fails the test instead. `label` names the stack in that message.
 */
export async function buildFleetUnderMocks(
  FleetClass: typeof Fleet,
  config: StackConfig,
  registeredCount: () => number,
  label: string,
): Promise<Fleet> {
  const failures: string[] = [];
  const onRejection = (e: unknown) => failures.push(String((e as Error)?.message ?? e));
  process.on("unhandledRejection", onRejection);
  let fleet: Fleet;
  try {
    fleet = new FleetClass(config.fleet.name, { config, secrets: MOCK_SECRETS });
    await new Promise<void>((resolve) => pulumi.all([fleet.urn, fleet.serviceUrls]).apply(() => resolve()));
    // Every registration is an RPC to the mock monitor: wait until the queue drains (dynamic
    // providers' closure serialization can take seconds), then until nothing new arrives.
    await Promise.race([
      settings.waitForRPCs(),
      new Promise((resolve) => setTimeout(resolve, 60_000)).then(() =>
        failures.push("registrations did not finish within 60 s"),
      ),
    ]);
    await settled(registeredCount);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length)
    assert.fail(`building the ${label} Fleet failed:\n${[...new Set(failures)].join("\n")}`);
  return fleet!;
}

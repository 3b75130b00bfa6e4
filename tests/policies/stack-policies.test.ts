/**
 * Each stack policy (smoke gate, integrity gate, service-down alarm, prod foreign env keys)
 * with compliant and violating stacks, through the policy SDK's argument shapes.
 */
import * as assert from "assert";
import { integrityGate } from "../../policies/integrityGate";
import { prodForeignEnvKeys } from "../../policies/prodForeignEnvKeys";
import { serviceDownAlarm } from "../../policies/serviceDownAlarm";
import { smokeGate } from "../../policies/smokeGate";
import { alarm, envSet, envVars, integrity, localService, renderService, smokeSuite } from "./fixtures";
import { assertNoViolations, assertOneViolation, runStackPolicy, UNKNOWN_OBJECT, urnOf } from "./util";

describe("policy smoke-gate", () => {
  const api = renderService("api");
  const dash = renderService("dash");
  const worker = renderService("jobs", { serviceType: "worker" });

  it("accepts a suite that covers every public service, and a stack without services", async () => {
    assertNoViolations(await runStackPolicy(smokeGate, [api, dash, worker, smokeSuite(["api", "dash"])]));
    assertNoViolations(await runStackPolicy(smokeGate, [smokeSuite([])]));
    assertNoViolations(await runStackPolicy(smokeGate, []));
  });

  it("refuses a stack with services and no smoke suite", async () => {
    assertOneViolation(
      await runStackPolicy(smokeGate, [api, worker]),
      /the stack deploys 2 service\(s\) but has no smoke suite; add gates\.smoke with checks targeting api/,
    );
  });

  it("names each public service the suite does not cover, on that service", async () => {
    const v = assertOneViolation(
      await runStackPolicy(smokeGate, [api, dash, worker, smokeSuite(["api", "jobs"])]),
      /public service "dash" is not covered by the smoke suite; add a check with target: dash under gates\.smoke\.checks/,
    );
    assert.strictEqual(v.urn, urnOf(dash));
  });

  it("covers local services too", async () => {
    assertOneViolation(
      await runStackPolicy(smokeGate, [localService("gateway"), smokeSuite(["control-plane"])]),
      /public service "gateway" is not covered/,
    );
  });
});

describe("policy integrity-gate", () => {
  const backend = envSet("backend", { plain: ["NODE_ENV"], secret: ["DATABASE_URL"] });

  it("accepts a stack with a database and both halves of the gate, and a stack without a database", async () => {
    assertNoViolations(
      await runStackPolicy(integrityGate, [backend, integrity("Snapshot"), integrity("Verify")]),
    );
    assertNoViolations(
      await runStackPolicy(integrityGate, [envSet("web", { plain: ["NODE_ENV"], secret: ["API_KEY"] })]),
    );
  });

  it("sees a database URL in the plugin's per-service EnvVars too", async () => {
    assertOneViolation(
      await runStackPolicy(integrityGate, [envVars("api", { secret: ["DATABASE_URL"] })]),
      /the stack has a database \(env vars of service "api" declares DATABASE_URL\) but no integrity gate/,
    );
  });

  it("refuses a stack whose env set declares a database URL but has no gate", async () => {
    assertOneViolation(
      await runStackPolicy(integrityGate, [backend]),
      /the stack has a database \(env-var set "backend" declares DATABASE_URL\) but no integrity gate \(missing a snapshot before the deploy and a verify after it\); add gates\.integrity/,
    );
  });

  it("recognizes DSNs and Postgres URLs, and a snapshot without a verify", async () => {
    assertNoViolations(await runStackPolicy(integrityGate, [envSet("s", { secret: ["SENTRY_DSN"] })]));
    for (const key of ["PG_DSN", "DSN", "ANALYTICS_DATABASE_URL", "POSTGRES_URL", "PG_URL"]) {
      assertOneViolation(
        await runStackPolicy(integrityGate, [envSet("s", { secret: [key] })]),
        new RegExp(`declares ${key}\\)`),
      );
    }
    assertOneViolation(
      await runStackPolicy(integrityGate, [integrity("Snapshot")]),
      /\(an integrity snapshot is declared\) but no integrity gate \(missing a verify after it\)/,
    );
  });

  it("takes its database key patterns from config", async () => {
    const redis = envSet("cache", { secret: ["MYSQL_CONN"] });
    assertNoViolations(await runStackPolicy(integrityGate, [redis]));
    assertOneViolation(
      await runStackPolicy(integrityGate, [redis], { databaseKeyPatterns: ["^MYSQL_"] }),
      /declares MYSQL_CONN/,
    );
  });
});

describe("policy service-down-alarm", () => {
  const api = renderService("api");
  const dash = renderService("dash");
  const worker = renderService("jobs", { serviceType: "worker" });

  it("accepts a service-down alarm per public Render service", async () => {
    assertNoViolations(
      await runStackPolicy(serviceDownAlarm, [
        api,
        dash,
        worker,
        alarm("api"),
        alarm("dash"),
        alarm("api", "latency"),
      ]),
    );
  });

  it("names each public service without one, on that service", async () => {
    const v = assertOneViolation(
      await runStackPolicy(serviceDownAlarm, [api, dash, worker, alarm("api"), alarm("dash", "latency")]),
      /public service "dash" has no service-down alarm; add an alarms section to the stack config \(the Alarms component tags it fleetgate:service=dash, fleetgate:alarm=service-down\)/,
    );
    assert.strictEqual(v.urn, urnOf(dash));
  });

  it("reads tagsAll when tags are not set, and exempts local services unless configured", async () => {
    const viaTagsAll = { ...alarm("api"), props: { tagsAll: alarm("api").props.tags } };
    assertNoViolations(await runStackPolicy(serviceDownAlarm, [api, viaTagsAll]));
    const gateway = localService("gateway");
    assertNoViolations(await runStackPolicy(serviceDownAlarm, [gateway]));
    assertOneViolation(
      await runStackPolicy(serviceDownAlarm, [gateway], {
        serviceTypes: ["pulumi-nodejs:dynamic/local:Service"],
      }),
      /"gateway" has no service-down alarm/,
    );
  });
});

describe("policy prod-foreign-env-keys", () => {
  const prodSet = (foreignKeys: unknown) =>
    envSet("backend", { secret: ["DATABASE_URL"] }, { environment: "prod", foreignKeys });

  it("is advisory by default", () => {
    assert.strictEqual(prodForeignEnvKeys.enforcementLevel, "advisory");
  });

  it("accepts prod sets without foreign keys, and foreign keys outside prod", async () => {
    assertNoViolations(await runStackPolicy(prodForeignEnvKeys, [prodSet({ api: [], jobs: [] })]));
    const devSet = envSet("backend", {}, { environment: "dev", foreignKeys: { api: ["HAND_SET"] } });
    assertNoViolations(await runStackPolicy(prodForeignEnvKeys, [devSet]));
  });

  it("reports foreign keys of the plugin's per-service EnvVars on prod", async () => {
    const api = envVars(
      "api",
      { secret: ["DATABASE_URL"] },
      { environment: "prod", foreignKeys: ["HAND", "A"] },
    );
    const ok = envVars("jobs", { secret: ["DATABASE_URL"] }, { environment: "prod", foreignKeys: [] });
    assertOneViolation(
      await runStackPolicy(prodForeignEnvKeys, [api, ok]),
      /env vars of service "api" \(prod\) found keys it does not declare \(api: A, HAND\)/,
    );
  });

  it("reports foreign keys on a prod set, naming services and keys", async () => {
    const set = prodSet({ jobs: ["Z_FLAG"], api: ["OLD_TOKEN", "DEBUG"], email: [] });
    const v = assertOneViolation(
      await runStackPolicy(prodForeignEnvKeys, [set]),
      /env-var set "backend" \(prod\) found keys it does not declare \(api: DEBUG, OLD_TOKEN; jobs: Z_FLAG\); declare them in fleet\.envSets or remove them on the platform/,
    );
    assert.strictEqual(v.urn, urnOf(set));
  });

  it("skips a set whose foreign keys are not known yet (first create) without giving up on the others", async () => {
    const pending = prodSet(UNKNOWN_OBJECT);
    const other = { ...prodSet({ api: ["X"] }), name: "other" };
    (other.props as Record<string, unknown>).setName = "other";
    assertOneViolation(await runStackPolicy(prodForeignEnvKeys, [pending, other]), /set "other"/);
  });
});

/**
 * Disks in the stack config: declared with mount path and size, a `stateful` service refused
 * without one, Render's one-instance rule and the cron refusal, and the exact Render wire shape.
 */
import * as assert from "assert";
import { renderDiskPayload } from "../../config/disks";
import { validateStackConfig } from "../../config/load";

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function stack(service: Raw, more: Raw[] = []): Raw {
  return {
    platform: { kind: "render", ownerId: "tea-seeds" },
    fleet: {
      name: "madbase",
      environment: "dev",
      services: [
        {
          name: "victoria-metrics",
          type: "private",
          image: "victoriametrics/victoria-metrics:v1.102.1",
          ...service,
        },
        ...more,
      ],
    },
  };
}

function issues(raw: Raw): string[] {
  const r = validateStackConfig(raw, { secretKeys: new Set() });
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("disks in config", () => {
  it("accepts a stateful service with a disk and maps it to Render's fields", () => {
    const raw = stack({ stateful: true, disk: { mountPath: "/victoria-metrics-data", sizeGB: 20 } });
    assert.deepStrictEqual(issues(raw), []);
    const r = validateStackConfig(raw, { secretKeys: new Set() });
    assert.ok(r.ok);
    const svc = r.config.fleet.services[0];
    assert.deepStrictEqual(renderDiskPayload(svc), {
      name: "victoria-metrics-data",
      mountPath: "/victoria-metrics-data",
      sizeGB: 20,
    });
    assert.deepStrictEqual(renderDiskPayload(svc, "srv-abc")?.serviceId, "srv-abc");
  });

  it("refuses a stateful service without a disk, naming the field and the fix", () => {
    assert.deepStrictEqual(issues(stack({ stateful: true })), [
      'fleet.services[0].disk: service "victoria-metrics" is marked stateful but has no disk: its data would be lost on every deploy; add disk: { mountPath, sizeGB } or remove stateful',
    ]);
  });

  it("refuses a disk with several instances on Render, on a cron service, or with a bad path or size", () => {
    assert.deepStrictEqual(issues(stack({ instances: 2, disk: { mountPath: "/data", sizeGB: 1 } })), [
      'fleet.services[0].instances: service "victoria-metrics" has a disk and 2 instances; a Render service with a disk runs one instance: set instances: 1',
    ]);
    const cron = issues(
      stack({ type: "cron", schedule: "0 * * * *", disk: { mountPath: "/data", sizeGB: 1 } }),
    );
    assert.ok(
      cron.some((l) => l.includes('cron service "victoria-metrics" cannot have a disk')),
      cron.join("\n"),
    );
    assert.deepStrictEqual(issues(stack({ disk: { mountPath: "/", sizeGB: 0 } })), [
      "fleet.services[0].disk.mountPath: must be an absolute directory path other than / (e.g. /var/lib/data)",
      "fleet.services[0].disk.sizeGB: must be at least 1 GB",
    ]);
  });

  it("refuses two disks with one name", () => {
    const lines = issues(
      stack({ disk: { name: "shared", mountPath: "/a", sizeGB: 1 } }, [
        {
          name: "loki",
          type: "private",
          image: "grafana/loki:3.1.1",
          disk: { name: "shared", mountPath: "/b", sizeGB: 1 },
        },
      ]),
    );
    assert.deepStrictEqual(lines, [
      'fleet.services[1].disk.name: disk name "shared" is also used by service "victoria-metrics"; give each disk its own name',
    ]);
  });
});

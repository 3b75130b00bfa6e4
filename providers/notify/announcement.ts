/**
 * DeployAnnouncement: tells the chat channels that listen for `start`
 * (`gates.notifications.webhooks[].on`) that a deploy is about to begin, before the first
 * service changes (the platform waits for it through `PlatformArgs.before`); the result after
 * the deploy is the evidence record's success/failure notification. It posts when the fleet
 * revision or an image about to be deployed changes (a deploy is coming). An announcement that
 * cannot be delivered never stops the deploy: the problems are kept in the `problems` output and
 * printed as a warning.
 * Type: `pulumi-nodejs:dynamic/notify:DeployAnnouncement`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Webhook } from "../../lib/ledger/notify";

export interface AnnouncementInputs {
  stack: string;
  fleet: string;
  environment: string;
  /** The fleet revision about to be deployed: a new one posts a new announcement. */
  revision: string;
  /** Image per service about to be deployed (the resolved digest when the release gives one). */
  images: Record<string, string>;
  /** Every webhook of `gates.notifications`; only those with `start` in `on` are posted to. */
  webhooks: Webhook[];
  timeoutMs: number;
}

export interface AnnouncementMessage {
  event: "start";
  text: string;
  stack: string;
  environment: string;
  fleet: string;
  revision: string;
  images: Record<string, string>;
  time: string;
}

export function announcementMessage(inputs: AnnouncementInputs, at: Date): AnnouncementMessage {
  const services = Object.keys(inputs.images).sort();
  return {
    event: "start",
    text:
      `fleetgate: ${inputs.fleet} (${inputs.stack}) is deploying revision ${inputs.revision}` +
      (services.length ? ` | services: ${services.join(", ")}` : ""),
    stack: inputs.stack,
    environment: inputs.environment,
    fleet: inputs.fleet,
    revision: inputs.revision,
    images: inputs.images,
    time: at.toISOString(),
  };
}

/** Posts the announcement; returns one line per webhook that failed, by name (URLs are credentials). */
export async function announce(inputs: AnnouncementInputs): Promise<{ sent: string[]; problems: string[] }> {
  const body = JSON.stringify(announcementMessage(inputs, new Date()));
  const sent: string[] = [];
  const problems: string[] = [];
  await Promise.all(
    inputs.webhooks
      .filter((w) => w.on.includes("start"))
      .map(async (w) => {
        try {
          const res = await fetch(w.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(inputs.timeoutMs),
          });
          await res.body?.cancel();
          if (res.ok) sent.push(w.name);
          else problems.push(`webhook ${w.name}: answered ${res.status}`);
        } catch (err) {
          const timedOut = (err as Error).name === "TimeoutError";
          problems.push(
            `webhook ${w.name}: ${timedOut ? `no answer within ${inputs.timeoutMs} ms` : "could not be reached"}`,
          );
        }
      }),
  );
  return { sent: sent.sort(), problems: problems.sort() };
}

async function post(inputs: AnnouncementInputs) {
  const { sent, problems } = await announce(inputs);
  if (problems.length) {
    // Never fails the deploy; the warning goes to the `pulumi up` output.
    pulumi.log.warn(`deploy announcement not delivered: ${problems.join("; ")}`);
  }
  return { ...inputs, sent, problems, announcedAt: new Date().toISOString() };
}

export const announcementProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: AnnouncementInputs, news: AnnouncementInputs) {
    // A new image (a resolved or promoted digest the revision does not cover) is a deploy coming too.
    const images = JSON.stringify(olds.images) !== JSON.stringify(news.images);
    return { changes: olds.revision !== news.revision || olds.stack !== news.stack || images };
  },
  async create(inputs: AnnouncementInputs) {
    return { id: `announce-${Date.now().toString(36)}`, outs: await post(inputs) };
  },
  async update(_id: string, _olds: AnnouncementInputs, news: AnnouncementInputs) {
    return { outs: await post(news) };
  },
  async read(id: string, props: AnnouncementInputs) {
    return { id, props };
  },
  async delete() {},
};

export interface DeployAnnouncementArgs extends Omit<
  { [K in keyof AnnouncementInputs]: pulumi.Input<AnnouncementInputs[K]> },
  "webhooks"
> {
  /** Stored as a secret: webhook URLs are credentials. */
  webhooks: pulumi.Input<Webhook[]>;
}

export class DeployAnnouncement extends pulumi.dynamic.Resource {
  /** Webhooks that took the announcement. */
  declare public readonly sent: pulumi.Output<string[]>;
  declare public readonly problems: pulumi.Output<string[]>;

  constructor(name: string, args: DeployAnnouncementArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      announcementProvider,
      name,
      {
        ...args,
        webhooks: pulumi.secret(args.webhooks),
        sent: undefined,
        problems: undefined,
        announcedAt: undefined,
      },
      { ...opts, additionalSecretOutputs: ["webhooks", ...(opts?.additionalSecretOutputs ?? [])] },
      "notify",
      "DeployAnnouncement",
    );
  }
}

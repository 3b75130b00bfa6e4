/**
 * The outputs each double computes, per package: the ids, ARNs, URLs and generated values the
 * real provider returns and our program reads. Everything else is the inputs echoed back.
 * Values derive from the inputs (and a random suffix where the real provider makes one up).
 */
import { createHash, randomBytes } from "crypto";
import { secret } from "./wire";

export const ACCOUNT_ID = "123456789012";

export interface Computed {
  id: string;
  /** Outputs to add to the echoed inputs (only those the type declares are kept). */
  outs: Record<string, unknown>;
}

/** `urn:pulumi:<stack>::<project>::<parent$…$type>::<name>` → name. */
export function urnName(urn: string): string {
  return urn.split("::").pop()!;
}

export function urnType(urn: string): string {
  return urn.split("::")[2].split("$").pop()!;
}

const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString("hex")
    .slice(0, n);
const digest = (s: string) => createHash("sha256").update(s).digest("hex");
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

// ---- aws ----------------------------------------------------------------------------------
function awsArn(service: string, region: string, resource: string, global = false): string {
  return `arn:aws:${service}:${global ? "" : region}:${service === "s3" ? "" : ACCOUNT_ID}:${resource}`;
}

export function awsOutputs(token: string, name: string, inputs: Record<string, unknown>): Computed {
  const region = str(inputs.region) ?? process.env.AWS_REGION ?? "us-east-1";
  const service = token.split(":")[1].split("/")[0];
  const n = str(inputs.name) ?? str(inputs.alarmName) ?? `${name}-${hex(7)}`;
  const outs: Record<string, unknown> = { region, tagsAll: inputs.tags ?? {} };
  let id = n;
  switch (token) {
    case "aws:sns/topic:Topic":
      id = outs.arn = awsArn("sns", region, n);
      outs.owner = ACCOUNT_ID;
      break;
    case "aws:sns/topicSubscription:TopicSubscription":
      id =
        outs.arn = `${str(inputs.topic) ?? awsArn("sns", region, "topic")}:${hex(8)}-${hex(4)}-${hex(4)}-${hex(12)}`;
      outs.ownerId = ACCOUNT_ID;
      outs.pendingConfirmation = inputs.protocol !== "email" ? false : true;
      break;
    case "aws:route53/healthCheck:HealthCheck":
      id = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
      outs.arn = `arn:aws:route53:::healthcheck/${id}`;
      break;
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
    case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
      outs.arn = awsArn("cloudwatch", region, `alarm:${n}`);
      break;
    case "aws:iam/role:Role":
      outs.arn = awsArn("iam", region, `role/${n}`, true);
      outs.uniqueId = `AROA${hex(16).toUpperCase()}`;
      break;
    case "aws:iam/rolePolicy:RolePolicy":
      id = `${str(inputs.role)}:${n}`;
      break;
    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
      id = `${str(inputs.role)}-${hex(20)}`;
      break;
    case "aws:lambda/function:Function":
      outs.arn = awsArn("lambda", region, `function:${n}`);
      outs.invokeArn = `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${outs.arn}/invocations`;
      outs.qualifiedArn = `${outs.arn}:$LATEST`;
      outs.version = "$LATEST";
      break;
    case "aws:lambda/permission:Permission":
      id = str(inputs.statementId) ?? `terraform-${hex(26)}`;
      outs.statementId = id;
      break;
    case "aws:cloudwatch/eventRule:EventRule":
      outs.arn = awsArn("events", region, `rule/${n}`);
      break;
    case "aws:cloudwatch/eventTarget:EventTarget":
      outs.targetId = str(inputs.targetId) ?? `terraform-${hex(26)}`;
      id = `${str(inputs.rule)}-${outs.targetId}`;
      break;
    case "aws:ssm/parameter:Parameter":
      outs.arn = awsArn("ssm", region, `parameter${n.startsWith("/") ? "" : "/"}${n}`);
      outs.version = 1;
      break;
    case "aws:s3/bucketObjectv2:BucketObjectv2":
      id = str(inputs.key) ?? name;
      outs.arn = `arn:aws:s3:::${str(inputs.bucket)}/${id}`;
      outs.etag = hex(32);
      break;
    default:
      outs.arn = awsArn(service, region, `${token.split(":")[2].toLowerCase()}/${n}`);
  }
  if (!("name" in inputs) && token !== "aws:cloudwatch/compositeAlarm:CompositeAlarm") outs.name = n;
  return { id, outs };
}

// ---- github -------------------------------------------------------------------------------
/** GitHub's blob sha of a file's content: sha1("blob <len>\0<content>"). */
function gitBlobSha(content: string): string {
  const body = Buffer.from(content, "utf8");
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))
    .digest("hex");
}

export function githubOutputs(token: string, name: string, inputs: Record<string, unknown>): Computed {
  const repo = str(inputs.repository);
  const outs: Record<string, unknown> = {};
  const now = new Date().toISOString();
  switch (token) {
    case "github:index/repositoryFile:RepositoryFile": {
      outs.sha = gitBlobSha(str(inputs.content) ?? "");
      outs.commitSha = hex(40);
      outs.ref = str(inputs.branch) ?? "main";
      return { id: `${repo}/${str(inputs.file)}`, outs };
    }
    case "github:index/repositoryEnvironment:RepositoryEnvironment":
      return { id: `${repo}:${str(inputs.environment)}`, outs };
    case "github:index/actionsSecret:ActionsSecret":
      return { id: `${repo}:${str(inputs.secretName)}`, outs: { createdAt: now, updatedAt: now } };
    case "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret":
      return {
        id: `${repo}:${str(inputs.environment)}:${str(inputs.secretName)}`,
        outs: { createdAt: now, updatedAt: now },
      };
    case "github:index/actionsVariable:ActionsVariable":
      return { id: `${repo}:${str(inputs.variableName)}`, outs: { createdAt: now, updatedAt: now } };
    case "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable":
      return {
        id: `${repo}:${str(inputs.environment)}:${str(inputs.variableName)}`,
        outs: { createdAt: now, updatedAt: now },
      };
    case "github:index/branchProtection:BranchProtection":
      return { id: `BPR_${hex(16)}`, outs };
    default:
      return { id: `${repo ?? name}:${name}`, outs };
  }
}

/** A stable numeric GitHub id for a login or team slug (the real API answers the account's id). */
function githubNumericId(s: string): string {
  return String((parseInt(digest(s).slice(0, 8), 16) % 90_000_000) + 1_000_000);
}

/** The data sources our stacks call: users and teams exist, each with a stable numeric id. */
export function githubInvoke(
  token: string,
  args: Record<string, unknown>,
): Record<string, unknown> | undefined {
  switch (token) {
    case "github:index/getUser:getUser": {
      const login = str(args.username) || "fleetgate-ci";
      const id = githubNumericId(`user:${login}`);
      return { id, login, username: login, name: login, nodeId: `U_${id}`, gpgKeys: [], sshKeys: [] };
    }
    case "github:index/getTeam:getTeam": {
      const slug = str(args.slug)!;
      const id = githubNumericId(`team:${slug}`);
      return { id, slug, name: slug, nodeId: `T_${id}`, members: [], repositories: [], privacy: "closed" };
    }
    default:
      return undefined;
  }
}

// ---- random -------------------------------------------------------------------------------
const CLASSES = {
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  lower: "abcdefghijklmnopqrstuvwxyz",
  numeric: "0123456789",
  special: "!@#$%&*()-_=+[]{}<>:?",
};

/** A random string honouring the resource's length, classes and minimums, as the real provider does. */
function randomString(inputs: Record<string, unknown>): string {
  const length = Number(inputs.length);
  const on = (k: keyof typeof CLASSES) => inputs[k] !== false;
  const special = str(inputs.overrideSpecial) ?? CLASSES.special;
  const pools: [string, number][] = [
    [CLASSES.upper, on("upper") ? Number(inputs.minUpper ?? 0) : -1],
    [CLASSES.lower, on("lower") ? Number(inputs.minLower ?? 0) : -1],
    [CLASSES.numeric, on("numeric") ? Number(inputs.minNumeric ?? 0) : -1],
    [special, on("special") ? Number(inputs.minSpecial ?? 0) : -1],
  ];
  const all = pools
    .filter(([, min]) => min >= 0)
    .map(([chars]) => chars)
    .join("");
  const pick = (chars: string) => chars[randomBytes(4).readUInt32BE(0) % chars.length];
  const out: string[] = [];
  for (const [chars, min] of pools) for (let i = 0; i < min; i++) out.push(pick(chars));
  while (out.length < length) out.push(pick(all));
  // Shuffle so the minimums are not always first.
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32BE(0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join("");
}

export function randomOutputs(token: string, _name: string, inputs: Record<string, unknown>): Computed {
  switch (token) {
    case "random:index/randomPassword:RandomPassword": {
      const result = randomString(inputs);
      return { id: "none", outs: { result: secret(result), bcryptHash: secret(`$2a$10$${hex(53)}`) } };
    }
    case "random:index/randomString:RandomString":
      return { id: "none", outs: { result: randomString(inputs) } };
    case "random:index/randomId:RandomId": {
      const bytes = randomBytes(Number(inputs.byteLength));
      return {
        id: bytes.toString("base64url"),
        outs: {
          hex: bytes.toString("hex"),
          b64Url: bytes.toString("base64url"),
          b64Std: bytes.toString("base64"),
        },
      };
    }
    default:
      return { id: hex(16), outs: {} };
  }
}

// ---- docker -------------------------------------------------------------------------------
export function dockerOutputs(token: string, name: string, inputs: Record<string, unknown>): Computed {
  switch (token) {
    case "docker:index/remoteImage:RemoteImage": {
      const ref = str(inputs.name) ?? name;
      const sha = `sha256:${digest(ref)}`;
      const repo = ref.replace(/[@:][^/]*$/, "");
      return { id: `${sha}${ref}`, outs: { imageId: sha, repoDigest: `${repo}@${sha}` } };
    }
    case "docker:index/registryImage:RegistryImage":
      return {
        id: `sha256:${digest(str(inputs.name) ?? name)}`,
        outs: { sha256Digest: `sha256:${digest(str(inputs.name) ?? name)}` },
      };
    default:
      return { id: hex(64), outs: {} };
  }
}

export const OUTPUTS: Record<
  string,
  (token: string, name: string, inputs: Record<string, unknown>) => Computed
> = {
  aws: awsOutputs,
  github: githubOutputs,
  random: randomOutputs,
  docker: dockerOutputs,
};

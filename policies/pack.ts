/** The pack's name and its policies, in the order `pulumi preview` reports them. */
import { Policies } from "@pulumi/policy";
import { actionsPinnedBySha } from "./actionsPinned";
import { webHealthCheck } from "./healthCheck";
import { integrityGate } from "./integrityGate";
import { pinnedImages } from "./pinnedImages";
import { prodForeignEnvKeys } from "./prodForeignEnvKeys";
import { prodReviewers } from "./prodReviewers";
import { secretEnvValues } from "./secretEnvValues";
import { serviceDownAlarm } from "./serviceDownAlarm";
import { smokeGate } from "./smokeGate";
import { statefulDisk } from "./statefulDisk";

export const PACK_NAME = "fleetgate";

export const PACK_DESCRIPTION =
  "fleetgate's deploy-safety rules: pinned images and actions, health checks, disks for stateful services, smoke and integrity gates, service-down alarms, secret env vars and prod reviewers.";

export const fleetgatePolicies: Policies = [
  pinnedImages,
  actionsPinnedBySha,
  webHealthCheck,
  statefulDisk,
  smokeGate,
  integrityGate,
  serviceDownAlarm,
  secretEnvValues,
  prodForeignEnvKeys,
  prodReviewers,
];

/**
 * fleetgate's CrossGuard policy pack. Run it with
 *   pulumi preview --policy-pack policies [--policy-pack-config policies/<levels>.json]
 * Policies live in their own modules (see pack.ts); this file only builds the pack.
 */
import { PolicyPack } from "@pulumi/policy";
import { fleetgatePolicies, PACK_DESCRIPTION, PACK_NAME } from "./pack";

new PolicyPack(PACK_NAME, { policies: fleetgatePolicies, description: PACK_DESCRIPTION });

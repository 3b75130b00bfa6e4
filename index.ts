/**
 * The fleetgate program: read the stack config (validated before anything is registered)
 * and build one Fleet.
 */
import { Fleet } from "./components/fleet";
import { loadFromPulumi } from "./config/load";

const config = loadFromPulumi();
const fleet = new Fleet(config.fleet.name, { config });

export const revision = fleet.revision;
export const serviceUrls = fleet.serviceUrls;
export const foreignKeys = fleet.foreignKeys;
export const prometheusRules = fleet.alarms?.prometheusRules;

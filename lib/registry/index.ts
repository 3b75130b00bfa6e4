export { parseChallenges } from "./challenge";
export type { Challenge } from "./challenge";
export { apiHost, MANIFEST_ACCEPT, RegistryClient, RegistryError } from "./client";
export type { RegistryClientOptions, RegistryCredential, ResolvedImage } from "./client";

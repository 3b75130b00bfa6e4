/**
 * Provider results cross gRPC as protobuf Structs, which refuse `undefined`: drop those fields
 * (an absent field reads back as undefined anyway).
 */
export function withoutUndefined<T extends object>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

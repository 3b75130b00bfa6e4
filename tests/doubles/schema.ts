/**
 * What the real providers declare about a resource type, read from the type declarations of the
 * npm packages the program uses (`node_modules/@pulumi/<pkg>`): the required inputs (`<Type>Args`
 * fields without `?`) and the output properties of the resource class. The doubles refuse a
 * missing required input as the real provider's `check` does, and know which outputs exist.
 */
import * as fs from "fs";
import * as path from "path";

export interface TypeSchema {
  /** Inputs the `<Type>Args` interface declares without `?`. */
  required: string[];
  /** Every input the `<Type>Args` interface declares. */
  inputs: string[];
  /** Every `pulumi.Output` property of the resource class. */
  outputs: string[];
  /**
   * Outputs the provider fills in when the program leaves them out (`pulumi.Output<T>` without
   * `| undefined`): leaving such an input out keeps the old value, it is no change.
   */
  computed: string[];
}

/** `aws:cloudwatch/metricAlarm:MetricAlarm` → `<root>/aws/cloudwatch/metricAlarm.d.ts`; `index` lives at the root. */
export function declarationFile(packagesRoot: string, token: string): string | undefined {
  const m = /^([\w-]+):([\w/]+)\/(\w+):(\w+)$/.exec(token);
  if (!m) return undefined;
  const [, pkg, mod, file] = m;
  return path.join(packagesRoot, pkg, ...(mod === "index" ? [] : mod.split("/")), `${file}.d.ts`);
}

/** The members of `export interface <name> { … }` at the top indentation, with their `?`. */
function interfaceMembers(source: string, name: string): { name: string; optional: boolean }[] {
  const start = source.indexOf(`export interface ${name} {`);
  if (start < 0) return [];
  const end = source.indexOf("\n}", start);
  const body = source.slice(start, end);
  return [...body.matchAll(/^ {4}(?:readonly )?(\w+)(\??): /gm)].map((m) => ({
    name: m[1],
    optional: m[2] === "?",
  }));
}

const cache = new Map<string, TypeSchema | undefined>();

/** The schema of a resource type, or undefined when the package declares no such type. */
export function typeSchema(packagesRoot: string, token: string): TypeSchema | undefined {
  if (cache.has(token)) return cache.get(token);
  const file = declarationFile(packagesRoot, token);
  let schema: TypeSchema | undefined;
  if (file && fs.existsSync(file)) {
    const source = fs.readFileSync(file, "utf8");
    const typeName = token.split(":").pop()!;
    const args = interfaceMembers(source, `${typeName}Args`);
    const classStart = source.indexOf(`export declare class ${typeName} `);
    const classBody = classStart < 0 ? "" : source.slice(classStart, source.indexOf("\n}", classStart));
    const outputs = [...classBody.matchAll(/^ {4}readonly (\w+)!?: pulumi\.Output<(.*)>;$/gm)];
    schema = {
      required: args.filter((a) => !a.optional).map((a) => a.name),
      inputs: args.map((a) => a.name),
      outputs: outputs.map((m) => m[1]),
      computed: outputs.filter((m) => !/\| undefined$/.test(m[2])).map((m) => m[1]),
    };
  }
  cache.set(token, schema);
  return schema;
}

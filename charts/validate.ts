/**
 * Offline schema validation of manifests, as close to the API server's as a machine without one gets:
 * - custom resources against the openAPIV3Schema of their CRD file (the served version), with unknown fields
 *   rejected as `kubectl apply` (strict field validation) does; CEL rules (x-kubernetes-validations) and
 *   operator webhooks are not evaluated;
 * - built-in kinds against the Kubernetes OpenAPI schema shipped by the kubernetes-models package (types,
 *   required fields, enums; unknown fields there are already ruled out by the typed cdk8s constructs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './manifests.ts';

type Schema = Record<string, unknown>;

/** Unknown fields are errors wherever the schema lists properties and does not preserve unknown fields. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, strict(v)]))
        : strict(value);
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !out['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
}

/** Validators for every served version of every CRD in the directory, keyed `apiVersion/kind`. */
export function crdValidators(dir: string): Map<string, ValidateFunction> {
  // Kubernetes schemas use OpenAPI keywords (nullable, x-kubernetes-*) and formats such as int32.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as Crd | null;
      if (!crd?.spec?.versions) continue;
      for (const version of crd.spec.versions.filter((v) => v.served)) {
        const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
        const root = version.schema.openAPIV3Schema;
        // The API server accepts these on every object, whether or not the CRD's schema lists them.
        const properties = {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
        };
        const schema = { ...root, properties: { ...properties, ...(root.properties as Schema) } };
        validators.set(key, ajv.compile(strict(schema) as Schema));
      }
    }
  }
  return validators;
}

/** The schema errors of a custom resource, or undefined when no CRD in the set defines its kind. */
export function crdErrors(
  validators: Map<string, ValidateFunction>,
  object: KubeObject,
): string[] | undefined {
  const validate = validators.get(`${object.apiVersion}/${object.kind}`);
  if (!validate) return undefined;
  if (validate(object)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}

/** The schema errors of a built-in object (Namespace, Deployment...), from the kubernetes-models package. */
export async function builtinErrors(object: KubeObject): Promise<string[]> {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const path = ['kubernetes-models', group, version, object.kind].filter(Boolean).join('/');
  const module = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[object.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

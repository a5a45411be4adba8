/** Reading synthesized manifests back as plain objects, for the tests and the status command's fixtures. */
import { parseAllDocuments } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export function parseManifests(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`bad YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as KubeObject;
  });
}

/** The one object of this kind and name; throws naming what is missing. */
export function find(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` named ${name}` : ''} in the manifests`);
  return found;
}

/** Container resources from the config, in the shape every generated CRD type and cdk8s-plus expect. */
import { Size } from 'cdk8s';
import { type ContainerResources, Cpu } from 'cdk8s-plus-28';

export interface Resources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

/** The generated CRD types wrap each quantity in a class with `fromString`. */
interface Quantity<T> {
  fromString(value: string): T;
}

export function crdResources<L, R>(r: Resources, limit: Quantity<L>, request: Quantity<R>) {
  return {
    requests: { cpu: request.fromString(r.cpuRequest), memory: request.fromString(r.memoryRequest) },
    limits: { cpu: limit.fromString(r.cpuLimit), memory: limit.fromString(r.memoryLimit) },
  };
}

const MEBI: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

function mebibytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!m) throw new Error(`memory ${quantity}: use Ki, Mi, Gi or Ti`);
  return Number(m[1]) * (MEBI[m[2] as string] as number);
}

function millicores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

/** cdk8s-plus container resources (its defaults are far too big for kind: FACTS.md). */
export function containerResources(r: Resources): ContainerResources {
  return {
    cpu: { request: Cpu.millis(millicores(r.cpuRequest)), limit: Cpu.millis(millicores(r.cpuLimit)) },
    memory: {
      request: Size.mebibytes(mebibytes(r.memoryRequest)),
      limit: Size.mebibytes(mebibytes(r.memoryLimit)),
    },
  };
}

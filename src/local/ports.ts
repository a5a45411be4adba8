/**
 * Free loopback ports for the local stack's servers. A server binds its port seconds after it is chosen (a JVM
 * starts first), so the port must stay free meanwhile: ports are drawn under the kernel's ephemeral range, which
 * the kernel hands out as the source port of every outgoing connection (a port it gave us by listen(0) could be
 * taken by any client's connection before the server binds it, "Address already in use"). Each port is handed
 * out once per process, so servers started together never draw the same one.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Above the well-known and most registered service ports. */
const LOWEST = 10_000;
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux; elsewhere the IANA default). */
function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(start) || 49_152;
  } catch {
    return 49_152;
  }
}

const EPHEMERAL_START = ephemeralStart();

/** Whether 127.0.0.1:port can be listened on now. */
function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1, free now, outside the ephemeral range, not handed out before by this process. */
export async function freePort(): Promise<number> {
  const end = EPHEMERAL_START;
  if (end - LOWEST < 1_000)
    throw new Error(`the ephemeral port range starts at ${end}: no room for servers under it`);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port) || !(await listenable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${LOWEST} and ${end}`);
}

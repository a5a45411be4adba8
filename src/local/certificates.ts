/**
 * Short-lived test certificates made by openssl in a directory: a CA and certificates it signs, each as
 * `<name>.key` (PKCS#8 PEM, EC P-256) and `<name>.crt`. For the real control plane of the tests
 * (charts/apiserver/control-plane.ts) and the local Kafka broker's TLS listener (src/local/kafka.ts).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DAYS = '2';

export class CertificateAuthority {
  private constructor(readonly dir: string) {}

  /** `<dir>/ca.key` and the self-signed `<dir>/ca.crt`. */
  static create(dir: string, commonName: string): CertificateAuthority {
    const ca = new CertificateAuthority(dir);
    ca.key('ca');
    ca.openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      `/CN=${commonName}`,
      '-days',
      DAYS,
      '-out',
      'ca.crt',
    );
    return ca;
  }

  get certificate(): string {
    return join(this.dir, 'ca.crt');
  }

  /** A new key (`<name>.key`) and its certificate (`<name>.crt`) for `subject`, with x509v3 `extensions` lines. */
  issue(name: string, subject: string, extensions: string[]): { key: string; certificate: string } {
    this.key(name);
    this.openssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    writeFileSync(join(this.dir, `${name}.ext`), `${extensions.join('\n')}\n`);
    this.openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      DAYS,
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
    return { key: join(this.dir, `${name}.key`), certificate: join(this.dir, `${name}.crt`) };
  }

  /** A bare key pair's private half, `<name>.key`. */
  key(name: string): string {
    this.openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
    return join(this.dir, `${name}.key`);
  }

  openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
}

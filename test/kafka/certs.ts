// Test certificates, made with the system `openssl` into the cluster's temp dir: a CA, a broker
// certificate valid for IP:127.0.0.1 and DNS:localhost, and a client certificate for mutual-TLS tests.
// EC P-256 keys, because RSA key generation costs ~100× more time and Kafka's PEM keystore reads EC keys.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from './errors.js';
import type { TlsFiles } from './types.js';

const exec = promisify(execFile);

export interface BrokerTls extends TlsFiles {
  /** Unencrypted PKCS#8 key followed by the certificate: Kafka's `ssl.keystore.type=PEM` file. */
  keystoreFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await exec('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new HarnessError(
        '`openssl` was not found on PATH; the Kafka test harness uses it to make TLS certificates. ' +
          'Install it (Debian/Ubuntu: apt-get install -y openssl).',
      );
    }
    throw new HarnessError(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function issue(dir: string, name: string, cn: string, ext: string, serial: number): Promise<void> {
  await openssl(['req', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial)].concat([
      '-days',
      '3650',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ]),
    dir,
  );
}

export async function makeCertificates(parent: string): Promise<BrokerTls> {
  const dir = path.join(parent, 'certs');
  mkdirSync(dir, { recursive: true });
  const caArgs = ['req', '-x509', ...EC, '-days', '3650', '-subj', '/CN=sluice-test-ca'];
  await openssl([...caArgs, '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  await Promise.all([
    issue(dir, 'broker', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n', 2),
    issue(dir, 'client', 'client', 'extendedKeyUsage=clientAuth\n', 3),
  ]);
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  const keystoreFile = path.join(dir, 'broker-keystore.pem');
  writeFileSync(keystoreFile, read('broker.key') + read('broker.crt'));
  return {
    caPem: read('ca.pem'),
    caFile: path.join(dir, 'ca.pem'),
    clientCertFile: path.join(dir, 'client.crt'),
    clientKeyFile: path.join(dir, 'client.key'),
    keystoreFile,
  };
}

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSelfSignedCert } from './cert-builder'

/** A self-signed certificate for 127.0.0.1 / localhost, made at test time. */
export interface TestCert {
  readonly key: Buffer
  readonly cert: Buffer
}

/**
 * A throwaway self-signed cert: from the openssl CLI when present, else
 * built with node:crypto (test/helpers/cert-builder.ts). Never undefined
 * in practice; the type leaves room for a platform where both fail.
 */
export function makeCert (cn = 'localhost'): TestCert | undefined {
  return opensslCert(cn) ?? builtCert(cn)
}

function builtCert (cn: string): TestCert | undefined {
  try {
    return buildSelfSignedCert(cn)
  } catch {
    return undefined
  }
}

/** A self-signed cert made by the openssl CLI, or undefined without openssl. */
export function opensslCert (cn = 'localhost'): TestCert | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'gv-cert-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'
    ], { stdio: 'ignore' })
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A peer's long-term identity: an Ed25519 key kept in a file, so the peer id (and with it every address
 * others stored for this peer) survives restarts.
 */
import { randomUUID } from 'node:crypto'
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { GridError } from '../../core/errors.js'

/** The identity file exists but does not hold a private key; `path` says which file. */
export class IdentityFileError extends GridError {
  static override name = 'IdentityFileError'
  constructor (readonly path: string, problem: string, options?: ErrorOptions) {
    super(`${path}: ${problem}. Restore it from a backup, or delete it to start with a new identity (the peer id will change).`, options)
  }
}

/**
 * Reads the private key stored (protobuf-encoded) at `path`, or creates a new Ed25519 key there (file mode
 * 0600, parent folders 0700). Concurrent callers on the same path all end up with the same key: the file
 * appears atomically (written aside, then hard-linked into place, which fails if another process won).
 */
export async function loadOrCreateIdentity (path: string): Promise<PrivateKey> {
  const existing = await readIdentity(path)
  if (existing != null) return existing

  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  const aside = `${path}.${randomUUID()}.tmp`
  await writeFile(aside, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  try {
    await link(aside, path)
    return key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // someone else created it between our read and our link: theirs wins
    const theirs = await readIdentity(path)
    if (theirs == null) throw new IdentityFileError(path, 'vanished while it was being created')
    return theirs
  } finally {
    await unlink(aside).catch(() => {})
  }
}

async function readIdentity (path: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new IdentityFileError(path, `cannot be read (${(err as Error).message})`, { cause: err })
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityFileError(path, `is not a libp2p private key (${bytes.byteLength} bytes, ${(err as Error).message})`, { cause: err })
  }
}

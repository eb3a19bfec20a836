import { type KeyObject, verify } from 'node:crypto';

/**
 * Whether `signature` (base64 of an ASN.1 DER ECDSA signature, as GitHub sends it) signs
 * exactly these body bytes with `key` (P-256, SHA-256). The bytes are the body as it
 * arrived: parsing and re-serialising JSON would change them.
 */
export function signatureValid(body: Buffer, signature: string, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

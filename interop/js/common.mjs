// Shared helpers for the harness scripts: stdin JSON, suites, signing.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  createSignCryptosuite as createJcsSignSuite,
  createVerifyCryptosuite as createJcsVerifySuite
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

// eddsa-jcs-2022 has separate signing and verifying objects
const CRYPTOSUITES = {
  sign: {
    'eddsa-rdfc-2022': eddsaRdfc2022CryptoSuite,
    'eddsa-jcs-2022': createJcsSignSuite()
  },
  verify: {
    'eddsa-rdfc-2022': eddsaRdfc2022CryptoSuite,
    'eddsa-jcs-2022': createJcsVerifySuite()
  }
};

export function cryptosuiteNamed(name, use = 'verify') {
  const found = CRYPTOSUITES[use][name ?? 'eddsa-rdfc-2022'];
  if(!found) {
    throw new TypeError(`Unknown cryptosuite "${name}".`);
  }
  return found;
}

export async function readStdinJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function verifySuite(name) {
  return new DataIntegrityProof({cryptosuite: cryptosuiteNamed(name)});
}

export function makePurpose(name) {
  if(name === undefined || name === null || name === 'issuance') {
    return undefined; // vc's default CredentialIssuancePurpose
  }
  if(name === 'assertion') {
    return new jsigs.purposes.AssertionProofPurpose();
  }
  throw new TypeError(`Unknown purpose "${name}".`);
}

/**
 * Builds a signing suite from {publicKeyMultibase, secretKeyMultibase}.
 * Default controller: did:key of the key; default VM: did:key#fragment.
 */
export async function signingSuite({
  keyPair, verificationMethod, controller, created, cryptosuite
}) {
  const {publicKeyMultibase} = keyPair;
  const secretKeyMultibase =
    keyPair.secretKeyMultibase ?? keyPair.privateKeyMultibase;
  if(typeof publicKeyMultibase !== 'string' ||
    typeof secretKeyMultibase !== 'string') {
    throw new TypeError(
      '"keyPair" needs publicKeyMultibase and secretKeyMultibase strings.');
  }
  const did = `did:key:${publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({
    type: 'Multikey',
    id: verificationMethod ?? `${did}#${publicKeyMultibase}`,
    controller: controller ?? did,
    publicKeyMultibase,
    secretKeyMultibase
  });
  return new DataIntegrityProof({
    signer: key.signer(),
    date: created ?? undefined,
    cryptosuite: cryptosuiteNamed(cryptosuite, 'sign')
  });
}

export async function signCredential({credential, suite, documentLoader}) {
  // AssertionProofPurpose writes proofPurpose "assertionMethod" and, unlike
  // CredentialIssuancePurpose, does not tie the key controller to the issuer
  // at signing time.
  return vc.issue({
    credential: structuredClone(credential),
    suite,
    documentLoader,
    purpose: new jsigs.purposes.AssertionProofPurpose()
  });
}

/** Collects distinct error messages from a verification result. */
export function flattenErrors(result) {
  const messages = [];
  const seen = new Set();
  const visit = (error, depth) => {
    if(!error || depth > 8 || seen.has(error)) {
      return;
    }
    seen.add(error);
    if(Array.isArray(error)) {
      error.forEach(e => visit(e, depth + 1));
      return;
    }
    const nested = Array.isArray(error.errors) ? error.errors : [];
    const message = typeof error === 'string' ? error : error.message;
    if(message && !(nested.length > 0 && /^Verification error/.test(message))) {
      messages.push(String(message));
    }
    nested.forEach(e => visit(e, depth + 1));
    // jsonld.js keeps the underlying reason (e.g. a loader refusal) here
    visit(error.details?.cause, depth + 1);
    visit(error.cause, depth + 1);
  };
  visit(result?.error, 0);
  for(const r of result?.results ?? []) {
    visit(r.error, 0);
    visit(r.purposeResult?.error, 0);
  }
  visit(result?.statusResult?.error, 0);
  return [...new Set(messages)];
}

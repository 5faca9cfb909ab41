// Offline JSON-LD document loader for the @digitalbazaar/vc reference harness.
//
// Documents come from three places only, in this order:
//   1. documents handed in by the caller (DID documents, controller documents,
//      status list credentials, ...), keyed by URL;
//   2. the JSON-LD contexts vendored by credstack in
//      src/credstack/jsonld/contexts/ (index.json maps URL -> file name);
//   3. did:key DIDs and DID URLs for Ed25519 keys (z6Mk...), resolved locally.
// Anything else throws. This loader never touches the network.
import * as didKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

export const CONTEXTS_DIR = fileURLToPath(
  new URL('../../src/credstack/jsonld/contexts/', import.meta.url));

// Properties of a controller document that may hold embedded verification
// methods, searched when a DID URL with a fragment is asked for.
const VM_HOLDERS = [
  'verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
];

let vendoredCache = null;

/** Reads every vendored context listed in index.json (once per process). */
export function loadVendoredContexts() {
  if(vendoredCache === null) {
    const index = JSON.parse(
      readFileSync(CONTEXTS_DIR + 'index.json', 'utf8'));
    vendoredCache = new Map();
    for(const [url, fileName] of Object.entries(index)) {
      vendoredCache.set(
        url, JSON.parse(readFileSync(CONTEXTS_DIR + fileName, 'utf8')));
    }
  }
  return vendoredCache;
}

function makeDidKeyDriver() {
  const driver = didKey.driver();
  driver.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });
  return driver;
}

// Finds the node `url` (a DID URL with a fragment) embedded in `doc`.
function findEmbedded(doc, url) {
  const fragment = url.slice(url.indexOf('#'));
  for(const prop of VM_HOLDERS) {
    const values = doc[prop] === undefined ? [] :
      (Array.isArray(doc[prop]) ? doc[prop] : [doc[prop]]);
    for(const value of values) {
      if(value && typeof value === 'object' &&
        (value.id === url || value.id === fragment)) {
        // served as written (no controller filled in), only made absolute
        const node = {...value, id: url};
        if(node['@context'] === undefined && doc['@context'] !== undefined) {
          node['@context'] = doc['@context'];
        }
        return node;
      }
    }
  }
  return undefined;
}

/**
 * Builds a documentLoader(url) function.
 *
 * @param {object} [options]
 * @param {object} [options.documents] - extra static documents {url: doc};
 *   a DID URL "<base>#frag" is also served from the node with that id
 *   embedded in the static document "<base>".
 * @returns {Function} async (url) => {contextUrl, documentUrl, document}.
 */
export function buildDocumentLoader({documents = {}} = {}) {
  const jdl = new JsonLdDocumentLoader();
  for(const [url, doc] of loadVendoredContexts()) {
    jdl.addStatic(url, doc);
  }
  for(const [url, doc] of Object.entries(documents ?? {})) {
    if(doc === null || typeof doc !== 'object') {
      throw new TypeError(`Static document for "${url}" must be an object.`);
    }
    jdl.addStatic(url, doc);
  }
  const driver = makeDidKeyDriver();
  jdl.setDidResolver({
    method: 'key',
    async get({url}) {
      if(!url.startsWith('did:key:z6Mk')) {
        return undefined; // falls through to the refusal below
      }
      return driver.get({url});
    }
  });
  const load = jdl.build();

  return async function documentLoader(url) {
    if(typeof url !== 'string') {
      throw new TypeError('The "url" parameter must be a string.');
    }
    const hash = url.indexOf('#');
    if(hash > 0 && !jdl.documents.has(url) &&
      jdl.documents.has(url.slice(0, hash))) {
      const node = findEmbedded(jdl.documents.get(url.slice(0, hash)), url);
      if(node !== undefined) {
        return {contextUrl: null, documentUrl: url, document: node};
      }
    }
    try {
      return await load(url);
    } catch {
      throw new Error(
        `Offline document loader refused "${url}": not a vendored context, ` +
        'not a supplied document and not an Ed25519 did:key.');
    }
  };
}

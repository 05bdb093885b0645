import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { loadNodeConfig } from '../../services/mpc-node/config.js';
import { generateAccountKey, generateMeshIdentity } from './node-keys.js';

describe('node key generation', () => {
  it('makes a NEAR secret key whose second half is the printed public key', () => {
    const { secretString, publicParts } = generateAccountKey();
    const bytes = base58.decode(secretString.replace(/^ed25519:/, ''));
    expect(bytes).toHaveLength(64);
    expect(bytesToHex(ed25519.getPublicKey(bytes.subarray(0, 32)))).toBe(bytesToHex(bytes.subarray(32)));
    expect(publicParts.public_key).toBe(`ed25519:${base58.encode(bytes.subarray(32))}`);
  });

  it('makes a mesh identity of one secret, whose printed tls_public_key belongs to it', () => {
    const { secretString, publicParts } = generateMeshIdentity();
    const stored = JSON.parse(secretString) as Record<string, string>;
    // The stored format is unchanged ({"sign": hex}), so secrets made before the 3.14 ABI still work.
    expect(Object.keys(stored)).toEqual(['sign']);
    expect(stored.sign).toMatch(/^[0-9a-f]{64}$/);
    // The participant record of the 3.14 ABI is {url, tls_public_key}: only that public value is printed.
    expect(publicParts).toEqual({ tls_public_key: `ed25519:${base58.encode(ed25519.getPublicKey(hexToBytes(stored.sign!)))}` });
    expect(generateMeshIdentity().secretString).not.toBe(secretString);
  });

  it('produces values the node configuration accepts', () => {
    const mesh = JSON.parse(generateMeshIdentity().secretString) as { sign: string };
    const config = loadNodeConfig({
      NODE_ACCOUNT_ID: 'operator.testnet',
      NODE_ACCOUNT_SECRET_KEY: generateAccountKey().secretString,
      MPC_CONTRACT_ID: 'v1.signer-prod.testnet',
      NEAR_RPC_URL: 'https://rpc.testnet.near.org',
      SIGN_REQUESTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/sign-requests.fifo',
      KEY_SHARES_TABLE: 'key-shares',
      TRIPLES_TABLE: 'triples',
      PRESIGNATURES_TABLE: 'presignatures',
      MESH_LISTEN: '0.0.0.0:8443',
      MESH_SIGN_SECRET_KEY: mesh.sign,
      KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
    });
    expect(config.MESH_SIGN_SECRET_KEY).toBe(mesh.sign);
  });
});

// A start that cannot complete says which step failed and leaves nothing running behind it.
import { LocalNetworkError, startLocalNetwork } from '../../../services/devnet/network/index.js';
import { findFreePort } from '../../../services/devnet/emulators/free-port.js';

describe('local network start failures', () => {
  it('refuses node counts and thresholds the signer contract would refuse', async () => {
    await expect(startLocalNetwork({ nodes: 1 })).rejects.toThrow(/nodes must be an integer ≥ 2/);
    await expect(startLocalNetwork({ nodes: 5, threshold: 2 })).rejects.toThrow(/threshold must be an integer from 3/);
    await expect(startLocalNetwork({ nodes: 3, threshold: 4 })).rejects.toBeInstanceOf(LocalNetworkError);
  });

  it('names the step when the emulators cannot be reached', async () => {
    // A port nothing listens on: every AWS call is refused.
    const deadEndpoint = `http://127.0.0.1:${await findFreePort()}`;
    const steps: string[] = [];
    const failure = await startLocalNetwork({
      awsEndpoints: { region: 'us-east-1', dynamodb: deadEndpoint, sqs: deadEndpoint, s3: deadEndpoint },
      resourcePrefix: 'devnet-unreachable',
      onProgress: ({ step }) => steps.push(step),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LocalNetworkError);
    expect((failure as LocalNetworkError).step).toBe('aws-resources');
    expect(steps).toEqual(['aws-resources']);
  });
});

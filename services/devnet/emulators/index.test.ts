import { EmulatorStartError } from './errors.js';
import { startLocalAws, type EmulatorStarters } from './index.js';

describe('startLocalAws', () => {
  it('stops the emulator that started when the other one fails, and rethrows', async () => {
    const stopped: string[] = [];
    const starters: EmulatorStarters = {
      dynamoDb: async () => {
        throw new EmulatorStartError('dynamodb-local', 'exited during start-up');
      },
      fauxqs: async () => ({ endpoint: 'http://127.0.0.1:1', stop: async () => void stopped.push('fauxqs') }),
    };
    await expect(startLocalAws({}, starters)).rejects.toThrow(/dynamodb-local: exited during start-up/);
    expect(stopped).toEqual(['fauxqs']);
  });

  it('stops DynamoDB Local when fauxqs fails', async () => {
    const stopped: string[] = [];
    const starters: EmulatorStarters = {
      dynamoDb: async () => ({ endpoint: 'http://127.0.0.1:2', pid: 1, stop: async () => void stopped.push('dynamodb') }),
      fauxqs: async () => {
        throw new EmulatorStartError('fauxqs', 'could not listen');
      },
    };
    await expect(startLocalAws({}, starters)).rejects.toBeInstanceOf(EmulatorStartError);
    expect(stopped).toEqual(['dynamodb']);
  });
});

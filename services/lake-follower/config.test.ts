import { loadLakeFollowerConfig, LakeFollowerConfigError } from './config.js';

const REQUIRED = { PUBLIC_LAKE_BUCKET: 'near-lake-data-mainnet', LAKE_BUCKET: 'op-lake', MPC_CONTRACT_ID: 'v1.signer', NEAR_RPC_URL: 'https://rpc.mainnet.near.org', LEASE_TABLE: 'follower-lease' };

describe('loadLakeFollowerConfig', () => {
  it('fills the defaults', () => {
    expect(loadLakeFollowerConfig(REQUIRED)).toEqual({
      publicLakeBucket: 'near-lake-data-mainnet',
      publicLakeRegion: undefined,
      lakeBucket: 'op-lake',
      contractId: 'v1.signer',
      rpcUrl: 'https://rpc.mainnet.near.org',
      startHeight: undefined,
      checkpointKey: 'lake-follower/checkpoint',
      pollIntervalMs: 500,
      listAfterMs: 1_500,
      maxListIntervalMs: 30_000,
      checkpointIntervalMs: 30_000,
      metricsIntervalMs: 60_000,
      retryBaseMs: 200,
      retryMaxMs: 30_000,
      maxObjectBytes: 64 * 1024 * 1024,
      lease: { table: 'follower-lease', leaseMs: 30_000, renewEveryMs: 10_000, handOverWindowMs: 75_000, stopMarginMs: 30_000, minRunMs: 60_000 },
      localSchedule: { intervalMs: 60_000, runMs: 870_000 },
    });
    expect(loadLakeFollowerConfig({ ...REQUIRED, START_HEIGHT: '150000000', PUBLIC_LAKE_REGION: 'eu-central-1' })).toMatchObject({ startHeight: 150_000_000, publicLakeRegion: 'eu-central-1' });
  });

  it('names every bad variable at once', () => {
    const load = () => loadLakeFollowerConfig({ ...REQUIRED, MPC_CONTRACT_ID: 'V1.Signer', CHECKPOINT_KEY: 'state.json', START_HEIGHT: '-1', LAKE_BUCKET: undefined });
    expect(load).toThrow(LakeFollowerConfigError);
    expect(load).toThrow(/LAKE_BUCKET is required.*MPC_CONTRACT_ID must be a NEAR account id.*START_HEIGHT.*CHECKPOINT_KEY must not end in \.json/);
  });

  it('refuses to write into the bucket it reads', () => {
    expect(() => loadLakeFollowerConfig({ ...REQUIRED, LAKE_BUCKET: REQUIRED.PUBLIC_LAKE_BUCKET })).toThrow(/must differ/);
  });

  it('needs the lease table, and renewals more often than the lease lasts', () => {
    expect(() => loadLakeFollowerConfig({ ...REQUIRED, LEASE_TABLE: undefined })).toThrow(/LEASE_TABLE is required/);
    expect(() => loadLakeFollowerConfig({ ...REQUIRED, LEASE_MS: '10000', LEASE_RENEW_MS: '10000' })).toThrow(/LEASE_RENEW_MS \(10000\) must be below LEASE_MS/);
  });
});

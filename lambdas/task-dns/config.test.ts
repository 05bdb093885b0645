import { DEFAULT_RECORD_TTL_SECONDS, TaskDnsConfigError, loadTaskDnsConfig } from './config.js';

describe('loadTaskDnsConfig', () => {
  it('reads the zone and record, with a 60 s TTL by default', () => {
    expect(loadTaskDnsConfig({ HOSTED_ZONE_ID: 'Z0123456789ABCDEFGHIJ', RECORD_NAME: 'mpc.example.com' })).toEqual({
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      recordName: 'mpc.example.com',
      ttlSeconds: 60,
    });
    expect(DEFAULT_RECORD_TTL_SECONDS).toBe(60);
    expect(loadTaskDnsConfig({ HOSTED_ZONE_ID: 'Z1', RECORD_NAME: 'a.example.org', RECORD_TTL_SECONDS: '300' }).ttlSeconds).toBe(300);
  });

  it('names every bad variable at once', () => {
    const attempt = () => loadTaskDnsConfig({ HOSTED_ZONE_ID: '/hostedzone/Z1', RECORD_NAME: 'MPC.example.com', RECORD_TTL_SECONDS: '0' });
    expect(attempt).toThrow(TaskDnsConfigError);
    expect(attempt).toThrow(/HOSTED_ZONE_ID must be a Route 53 hosted zone id; RECORD_NAME must be a lowercase DNS host name.*; RECORD_TTL_SECONDS/);
    expect(() => loadTaskDnsConfig({})).toThrow(/HOSTED_ZONE_ID is required; RECORD_NAME is required/);
  });
});

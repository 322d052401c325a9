import { describe, expect, it } from 'vitest';
import { ConfigError } from '@shutter/config';
import { newAccessTokenKeys, newSecret } from '@shutter/auth';
import { loadGatewayConfig } from '../src/config.ts';
import { addressKey, ClientAddresses } from '../src/client-address.ts';

const required = { GATEWAY_SIGNING_SECRET: newSecret(), ACCESS_TOKEN_PUBLIC_KEY: newAccessTokenKeys().publicKey };

describe('the gateway configuration', () => {
  it('reads rate-limit buckets as <points>/<window>, with s, m, h or none, or off', () => {
    const config = loadGatewayConfig({ ...required, RATE_LIMIT_IP: '100/30', RATE_LIMIT_USER: ' 5 / 2m ', RATE_LIMIT_LOG_IN: '3/1h', RATE_LIMIT_SIGN_UP: 'OFF' });
    expect([config.RATE_LIMIT_IP, config.RATE_LIMIT_USER, config.RATE_LIMIT_LOG_IN, config.RATE_LIMIT_SIGN_UP]).toEqual([
      { points: 100, seconds: 30 },
      { points: 5, seconds: 120 },
      { points: 3, seconds: 3600 },
      null,
    ]);
    // The defaults, as the README lists them.
    const defaults = loadGatewayConfig(required);
    expect(defaults.RATE_LIMIT_IP).toEqual({ points: 600, seconds: 60 });
    expect(defaults.RATE_LIMIT_WS_CONNECT).toEqual({ points: 30, seconds: 60 });
    expect(defaults.TRUSTED_PROXIES).toEqual(['127.0.0.0/8', '::1']);
  });

  it('reports every bad bucket and proxy list at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({ ...required, RATE_LIMIT_IP: 'lots', RATE_LIMIT_LOG_IN: '0/5m', RATE_LIMIT_SIGN_UP: '5/0', TRUSTED_PROXIES: '10.0.0.0/33, proxy.local', MAX_INPUT_STRING_LENGTH: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['RATE_LIMIT_IP', 'RATE_LIMIT_LOG_IN', 'RATE_LIMIT_SIGN_UP', 'TRUSTED_PROXIES', 'MAX_INPUT_STRING_LENGTH']) expect(problems).toContain(`${name}:`);
  });
});

describe('client addresses', () => {
  const addresses = new ClientAddresses(['127.0.0.0/8', '::1', '10.0.0.0/8']);

  it('is the peer when no trusted proxy stands between', () => {
    expect(addresses.of('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
    expect(addresses.of('::ffff:203.0.113.5', undefined)).toBe('203.0.113.5');
  });

  it('walks X-Forwarded-For from the right through trusted proxies only', () => {
    expect(addresses.of('127.0.0.1', '198.51.100.1')).toBe('198.51.100.1');
    expect(addresses.of('127.0.0.1', '198.51.100.9, 198.51.100.1, 10.1.2.3')).toBe('198.51.100.1');
    expect(addresses.of('::1', ['198.51.100.9', '10.1.2.3'])).toBe('198.51.100.9');
    // Garbage in the header stops the walk at the last proxy that is real.
    expect(addresses.of('127.0.0.1', 'not-an-address')).toBe('127.0.0.1');
    // Everyone is a trusted proxy: the leftmost address is the client.
    expect(addresses.of('127.0.0.1', '10.0.0.1, 10.0.0.2')).toBe('10.0.0.1');
  });

  it('keys IPv4 as it is and IPv6 by its /64', () => {
    expect(addressKey('198.51.100.1')).toBe('198.51.100.1');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

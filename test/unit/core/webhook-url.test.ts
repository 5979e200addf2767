/** Which webhook URLs and addresses Ferry refuses. */
import { describe, expect, it } from 'vitest';
import {
  assertAllowedPort,
  assertPublicHost,
  DEFAULT_WEBHOOK_PORTS,
  guardedLookup,
  isPrivateAddress,
  parseWebhookUrl,
  WebhookPortsSchema,
  WebhookUrlError,
} from '../../../core/webhook-url.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    '2001:db8::1',
    '[::1]',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('parseWebhookUrl', () => {
  it('accepts http and https URLs', () => {
    expect(parseWebhookUrl('https://hooks.example.com/a?b=c').href).toBe('https://hooks.example.com/a?b=c');
    expect(parseWebhookUrl('http://hooks.example.com').protocol).toBe('http:');
  });

  it.each([
    ['ftp://example.com', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['example.com/hook', /absolute/],
    ['https://user:pw@example.com', /user name or password/],
    [`https://example.com/${'a'.repeat(2048)}`, /at most 2048/],
  ])('refuses %s', (value, message) => {
    expect(() => parseWebhookUrl(value)).toThrow(message);
  });
});

describe('assertPublicHost', () => {
  const resolver = (addresses: string[]) => async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('accepts a host whose every address is public', async () => {
    await expect(
      assertPublicHost(new URL('https://a.example'), resolver(['93.184.215.14', '2606:4700::1'])),
    ).resolves.toBeUndefined();
  });

  it('refuses a host with any private address, IPv4 or IPv6', async () => {
    await expect(
      assertPublicHost(new URL('https://a.example'), resolver(['93.184.215.14', '10.0.0.5'])),
    ).rejects.toThrow(/private address \(10\.0\.0\.5\)/);
    await expect(
      assertPublicHost(new URL('https://a.example'), resolver(['93.184.215.14', 'fd00::5'])),
    ).rejects.toThrow(/fd00::5/);
  });

  it('refuses IP literals and local names without resolving', async () => {
    const never = async () => {
      throw new Error('must not resolve');
    };
    await expect(assertPublicHost(new URL('http://[fe80::1]/'), never)).rejects.toBeInstanceOf(
      WebhookUrlError,
    );
    await expect(assertPublicHost(new URL('http://169.254.169.254/'), never)).rejects.toBeInstanceOf(
      WebhookUrlError,
    );
    await expect(assertPublicHost(new URL('http://printer.local/'), never)).rejects.toThrow(
      /local host name/,
    );
    await expect(assertPublicHost(new URL('http://8.8.8.8/'), never)).resolves.toBeUndefined();
  });

  it('refuses a host that does not resolve, and passes other DNS errors on', async () => {
    const failing = (code: string) => async () => {
      throw Object.assign(new Error(code), { code });
    };
    await expect(assertPublicHost(new URL('https://nx.example'), failing('ENOTFOUND'))).rejects.toThrow(
      /does not resolve/,
    );
    await expect(assertPublicHost(new URL('https://slow.example'), failing('ETIMEOUT'))).rejects.toThrow(
      'ETIMEOUT',
    );
  });
});

describe('guardedLookup', () => {
  it('fails the connection for a name that resolves to loopback', async () => {
    const error = await new Promise<Error | null>((resolve) =>
      guardedLookup('localhost', { all: true }, (e) => resolve(e)),
    );
    expect(error).toBeInstanceOf(WebhookUrlError);
  });
});

describe('webhook ports', () => {
  it('allows the scheme defaults, 80 and 443, and refuses any other port', () => {
    expect(() => assertAllowedPort(new URL('https://h.example/'), DEFAULT_WEBHOOK_PORTS)).not.toThrow();
    expect(() => assertAllowedPort(new URL('http://h.example:80/'), DEFAULT_WEBHOOK_PORTS)).not.toThrow();
    expect(() => assertAllowedPort(new URL('http://h.example:443/'), DEFAULT_WEBHOOK_PORTS)).not.toThrow();
    expect(() => assertAllowedPort(new URL('http://h.example:22/'), DEFAULT_WEBHOOK_PORTS)).toThrow(
      /port 80 or 443, not 22/,
    );
    expect(() => assertAllowedPort(new URL('http://h.example:22/'), 'any')).not.toThrow();
  });

  it('reads FERRY_WEBHOOK_PORTS', () => {
    expect(WebhookPortsSchema.parse(undefined)).toEqual([80, 443]);
    expect(WebhookPortsSchema.parse('443,8443')).toEqual([443, 8443]);
    expect(WebhookPortsSchema.parse('*')).toBe('any');
    expect(WebhookPortsSchema.safeParse('80,x').success).toBe(false);
  });
});

// Which addresses outbound requests made for users (webhooks, `http_request` blocks, `totp_url`)
// may reach. Cloud metadata endpoints are always refused: they hand out credentials of the machine.
// With `blockPrivateNetworks`, every address that is not public unicast is refused too: loopback,
// RFC 1918, link-local, CGNAT, ULA, multicast, reserved, and IPv6 forms that embed an IPv4 address
// (IPv4-mapped, NAT64, 6to4) are judged by the IPv4 address inside.
import ipaddr from 'ipaddr.js';

/** Host names of cloud metadata services, refused before any DNS lookup. */
export const METADATA_HOSTNAMES: readonly string[] = [
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
];

/** Addresses of cloud metadata services (AWS, GCP, Azure, Oracle, Alibaba, ECS/EKS task credentials). */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '168.63.129.16',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2::254',
  'fd00:ec2::23',
];

const metadataAddresses = new Set(METADATA_ADDRESSES.map((address) => ipaddr.parse(address).toNormalizedString()));

/** Why an address is refused, or undefined when it is allowed. */
export type AddressVerdict = 'metadata' | 'private' | undefined;

function fromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const parts = address.parts;
  if (range === 'ipv4Mapped' || range === 'rfc6145') return fromWords(parts[6] ?? 0, parts[7] ?? 0);
  if (range === 'rfc6052') {
    // The /96 well-known prefix puts the IPv4 address in the last 32 bits; the /48 local-use prefix
    // is operator-defined, so it is judged as not public below.
    if (parts[0] === 0x64 && parts[1] === 0xff9b && parts[2] === 0) return fromWords(parts[6] ?? 0, parts[7] ?? 0);
    return undefined;
  }
  if (range === '6to4') return fromWords(parts[1] ?? 0, parts[2] ?? 0);
  return undefined;
}

/** Judges one IP address (v4 or v6 text). Unparseable text counts as private (refused when blocking). */
export function judgeAddress(address: string, blockPrivateNetworks: boolean): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // Zone ids (`fe80::1%eth0`) are link-local by definition.
    parsed = ipaddr.parse(address.split('%')[0] ?? address);
  } catch {
    return blockPrivateNetworks ? 'private' : undefined;
  }
  const inner = parsed.kind() === 'ipv6' ? embeddedIpv4(parsed as ipaddr.IPv6) : undefined;
  const effective = inner ?? parsed;
  if (metadataAddresses.has(parsed.toNormalizedString()) || metadataAddresses.has(effective.toNormalizedString())) return 'metadata';
  if (!blockPrivateNetworks) return undefined;
  return effective.range() === 'unicast' ? undefined : 'private';
}

/** True when the host name (not an IP literal) is a metadata service name. */
export function isMetadataHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return METADATA_HOSTNAMES.includes(name);
}

/**
 * What Vigil knows about one device on the local segment. A device is keyed by its MAC address;
 * everything else is collected over time. Strings from the network (names, server strings) are
 * stored raw and escaped where they are rendered (rule 9).
 */

export type NameSource = 'dhcp' | 'dhcp_fqdn' | 'mdns' | 'ssdp' | 'netbios' | 'dns_ptr';

export interface DeviceName {
  readonly source: NameSource;
  readonly name: string;
  /** Packet time the name was last seen. */
  readonly ts: number;
}

export interface DeviceAddress {
  /** IPv4 or IPv6 address as text. */
  readonly ip: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** DHCP facts, the strongest identification a device gives about itself. */
export interface DeviceDhcp {
  readonly hostname: string | null;
  readonly fqdn: string | null;
  /** Option 60, e.g. `android-dhcp-13`, `MSFT 5.0`, `udhcp 1.36.1`. */
  readonly vendorClass: string | null;
  /** Option 61 as hex, used to tie randomised MACs of one device together. */
  readonly clientId: string | null;
  /** Option 55 as comma-separated decimal codes: the DHCP fingerprint (as fingerbank uses). */
  readonly paramList: string | null;
}

export interface Device {
  /** `aa:bb:cc:dd:ee:ff`, lower case. */
  readonly mac: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Vendor from the IEEE registry, or null when unknown or randomised. */
  readonly vendor: string | null;
  /** Locally administered address (bit 1 of the first octet): phones randomise these. */
  readonly randomized: boolean;
  readonly addresses: readonly DeviceAddress[];
  readonly names: readonly DeviceName[];
  readonly dhcp: DeviceDhcp;
  /** mDNS service types announced, e.g. `_googlecast._tcp.local`. */
  readonly mdnsServices: readonly string[];
  /** SSDP SERVER / USER-AGENT strings seen from the device. */
  readonly ssdpServers: readonly string[];
  /** Best guess: camera, tv, speaker, phone, laptop, printer, plug, thermostat, hub, router … */
  readonly type: string | null;
  /** Why the type was guessed, one short phrase per clue. */
  readonly typeEvidence: readonly string[];
  /** Name the owner gave it (`vigil devices label`, later the UI). */
  readonly label: string | null;
  /** An earlier MAC of the same device, when a randomised MAC was tied to it by DHCP id/name. */
  readonly sameAs: string | null;
}

/** The name to show for a device: the owner's label, then DHCP, mDNS, NetBIOS, SSDP, PTR, vendor. */
export function displayName(d: Device): string {
  if (d.label) return d.label;
  for (const src of ['dhcp', 'dhcp_fqdn', 'mdns', 'netbios', 'ssdp', 'dns_ptr'] as const) {
    const n = d.names.find((x) => x.source === src);
    if (n) return n.name;
  }
  if (d.vendor) return `${d.vendor} device ${d.mac}`;
  return d.mac;
}

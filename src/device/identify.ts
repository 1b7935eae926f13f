/**
 * Device type guess from what a device says about itself. One table of rules, one line each:
 * which clue it reads, the pattern, the type it suggests, how strong a hint it is, and the phrase
 * kept as evidence. The strongest matching rule decides (ties: more supporting clues, then table
 * order); a device no rule matches stays unknown (null) rather than guessed.
 *
 * Strength: 4 = the device names its model or role outright (mDNS TXT model, printer service, UPnP
 * gateway), 3 = a specific hint (Android DHCP vendor class, `iPhone` host name), 2 = a likely hint
 * (service that several kinds of device offer), 1 = vendor alone (Espressif, Dell …).
 */

export interface Clues {
  readonly vendor: string | null;
  /** DHCP host name and FQDN, mDNS host and instance names, NetBIOS names, PTR names. */
  readonly names: readonly string[];
  /** DHCP option 60. */
  readonly vendorClass: string | null;
  /** DHCP option 55 as comma-separated codes. */
  readonly paramList: string | null;
  /** mDNS service types announced (`_googlecast._tcp.local`). */
  readonly mdnsServices: readonly string[];
  /** mDNS TXT `key=value` strings that describe the hardware (`model=iMac17,1`, `md=Chromecast`). */
  readonly mdnsTxt: readonly string[];
  /** SSDP SERVER / USER-AGENT strings. */
  readonly ssdp: readonly string[];
  /** UPnP device and service types the device announced (SSDP NT, or ST of its responses). */
  readonly ssdpTypes: readonly string[];
  /** Network roles seen: `router_advert`, `gateway`, `dhcp_router` (option 3 of a lease), `dhcp_server`. */
  readonly roles: readonly string[];
}

type ClueField = keyof Clues;

interface Rule {
  readonly on: ClueField;
  readonly re: RegExp;
  readonly type: string;
  readonly strength: 1 | 2 | 3 | 4;
  readonly says: string;
}

const r = (on: ClueField, re: RegExp, type: string, strength: 1 | 2 | 3 | 4, says: string): Rule => ({ on, re, type, strength, says });

export const RULES: readonly Rule[] = [
  // mDNS TXT records: the device's own model string.
  r('mdnsTxt', /^(model|rpmd)=macbook/i, 'laptop', 4, 'Mac laptop model'),
  r('mdnsTxt', /^(model|rpmd)=(imac|macmini|macpro|macstudio|mac\d)/i, 'computer', 4, 'Mac desktop model'),
  r('mdnsTxt', /^(model|rpmd)=iphone/i, 'phone', 4, 'iPhone model'),
  r('mdnsTxt', /^(model|rpmd)=ipad/i, 'tablet', 4, 'iPad model'),
  r('mdnsTxt', /^(model|rpmd)=appletv/i, 'tv', 4, 'Apple TV model'),
  r('mdnsTxt', /^(model|rpmd)=audioaccessory/i, 'speaker', 4, 'HomePod model'),
  r('mdnsTxt', /^md=chromecast/i, 'tv', 4, 'Chromecast model'),
  r('mdnsTxt', /^md=google (home|nest) (mini|audio|max)|^md=google home$/i, 'speaker', 4, 'Google speaker model'),
  r('mdnsTxt', /^md=.*nest hub/i, 'hub', 4, 'Google Nest Hub model'),
  r('mdnsTxt', /^(ty|usb_mdl)=./i, 'printer', 4, 'printer model in mDNS'),
  // mDNS service types the device offers.
  r('mdnsServices', /^_(ipps?|printer|pdl-datastream)\._tcp/, 'printer', 4, 'offers a printing service'),
  r('mdnsServices', /^_(scanner|uscans?)\._tcp/, 'printer', 3, 'offers a scanning service'),
  r('mdnsServices', /^_airport\._tcp/, 'router', 4, 'Apple AirPort base station'),
  r('mdnsServices', /^_sonos\._tcp/, 'speaker', 4, 'Sonos speaker service'),
  r('mdnsServices', /^_androidtvremote2?\._tcp/, 'tv', 4, 'Android TV remote service'),
  r('mdnsServices', /^_googlecast\._tcp/, 'tv', 3, 'Google Cast receiver'),
  r('mdnsServices', /^_amzn-wplay\._tcp/, 'tv', 3, 'Amazon Fire TV service'),
  r('mdnsServices', /^_hue\._tcp/, 'hub', 3, 'Philips Hue bridge service'),
  r('mdnsServices', /^_meshcop\._udp/, 'hub', 3, 'Thread border router'),
  r('mdnsServices', /^_esphomelib\._tcp/, 'iot', 3, 'ESPHome firmware'),
  r('mdnsServices', /^_(axis-video|rtsp)\._tcp/, 'camera', 3, 'offers a video stream'),
  r('mdnsServices', /^_airplay\._tcp/, 'tv', 2, 'AirPlay video receiver'),
  r('mdnsServices', /^_raop\._tcp/, 'speaker', 2, 'AirPlay audio receiver'),
  r('mdnsServices', /^_spotify-connect\._tcp/, 'speaker', 2, 'Spotify Connect receiver'),
  r('mdnsServices', /^_hap\._(tcp|udp)/, 'hub', 2, 'HomeKit accessory'),
  r('mdnsServices', /^_homekit\._tcp/, 'hub', 2, 'HomeKit home hub'),
  r('mdnsServices', /^_sleep-proxy\._udp/, 'hub', 2, 'Bonjour sleep proxy (Apple TV, HomePod)'),
  r('mdnsServices', /^_(matter\._tcp|matterc\._udp)/, 'iot', 2, 'Matter device'),
  r('mdnsServices', /^_(apple-mobdev2|rdlink)\._tcp/, 'phone', 2, 'iPhone/iPad service'),
  r('mdnsServices', /^_adisk\._tcp/, 'nas', 2, 'Time Machine disk'),
  r('mdnsServices', /^_(workstation|nvstream)\._tcp/, 'computer', 2, 'workstation service'),
  r('mdnsServices', /^_companion-link\._tcp/, 'phone', 1, 'Apple companion link (iPhone, iPad, Mac)'),
  r('mdnsServices', /^_(smb|afpovertcp|ssh|sftp-ssh)\._tcp/, 'computer', 1, 'file sharing or SSH'),
  // UPnP types a device announces for itself.
  r('ssdpTypes', /InternetGatewayDevice|WANIPConnection|WANPPPConnection|WANDevice/i, 'router', 4, 'UPnP internet gateway'),
  r('ssdpTypes', /device:Printer|service:PrintBasic/i, 'printer', 4, 'UPnP printer'),
  r('ssdpTypes', /ZonePlayer/i, 'speaker', 4, 'Sonos zone player'),
  r('ssdpTypes', /DigitalSecurityCamera|Basevideo/i, 'camera', 3, 'UPnP camera'),
  r('ssdpTypes', /dial-multiscreen-org:(service|device):dial/i, 'tv', 2, 'DIAL screen (YouTube/Netflix casting)'),
  r('ssdpTypes', /MediaRenderer/i, 'tv', 2, 'UPnP media renderer'),
  r('ssdpTypes', /MediaServer/i, 'nas', 2, 'UPnP media server'),
  // SSDP SERVER / USER-AGENT strings.
  r('ssdp', /IpBridge/i, 'hub', 4, 'Philips Hue bridge'),
  r('ssdp', /Sonos/i, 'speaker', 4, 'Sonos'),
  r('ssdp', /Roku/i, 'tv', 4, 'Roku'),
  r('ssdp', /Xbox/i, 'game_console', 4, 'Xbox'),
  r('ssdp', /MiniUPnPd|RouterOS|OpenWrt|DD-WRT|Tomato|FRITZ!Box|AsusWRT|Linux\/.*IGD/i, 'router', 3, 'router UPnP stack'),
  r('ssdp', /Tizen|SHP|SmartTV|Samsung.*TV/i, 'tv', 3, 'Samsung TV'),
  r('ssdp', /webOS|LGE|LG Smart/i, 'tv', 3, 'LG TV'),
  r('ssdp', /Chromecast|Eureka|Google ?Cast/i, 'tv', 3, 'Chromecast'),
  r('ssdp', /PlayStation|PS[345]\b/i, 'game_console', 3, 'PlayStation'),
  r('ssdp', /Synology|QNAP|ReadyNAS/i, 'nas', 3, 'NAS'),
  r('ssdp', /Hikvision|DNVRS-Webs|App-webs|IP ?Camera/i, 'camera', 3, 'IP camera web server'),
  r('ssdp', /WeMo|Belkin/i, 'plug', 3, 'Belkin WeMo'),
  r('ssdp', /Microsoft-Windows|Windows NT/i, 'computer', 2, 'Windows'),
  r('ssdp', /Android/i, 'phone', 2, 'Android'),
  r('ssdp', /HDHomeRun|SiliconDust|Kodi|XBMC/i, 'tv', 2, 'TV tuner or media player'),
  r('ssdp', /Plex Media Server/i, 'nas', 2, 'Plex media server'),
  r('ssdp', /Portable SDK for UPnP/i, 'iot', 1, 'embedded UPnP (libupnp)'),
  // DHCP: vendor class (option 60) and parameter list (option 55) fingerprints.
  r('vendorClass', /^android-dhcp/i, 'phone', 3, 'Android DHCP client'),
  r('vendorClass', /^MSFT 5\.0/, 'computer', 3, 'Windows DHCP client'),
  r('vendorClass', /^(Cisco|Polycom|Yealink|Grandstream|snom|Avaya|Mitel)/i, 'voip', 3, 'VoIP phone DHCP client'),
  r('vendorClass', /^(ESP32|espressif)/i, 'iot', 2, 'Espressif DHCP client'),
  r('vendorClass', /^udhcp/i, 'iot', 1, 'embedded Linux DHCP client (BusyBox)'),
  r('paramList', /^1,3,6,15,31,33,43,44,46,47,119,121,249,252$/, 'computer', 2, 'Windows 10/11 DHCP fingerprint'),
  r('paramList', /^1,3,6,15,26,28,51,58,59,43$/, 'phone', 2, 'Android 9+ DHCP fingerprint'),
  r('paramList', /^1,33,3,6,15,26,28,51,58,59$/, 'phone', 2, 'Android (dhcpcd) DHCP fingerprint'),
  // Network roles.
  r('roles', /^router_advert$/, 'router', 4, 'sends IPv6 router advertisements'),
  r('roles', /^gateway$/, 'router', 3, 'forwards internet traffic'),
  r('roles', /^dhcp_router$/, 'router', 3, 'named as the router by DHCP'),
  // Names the device gave itself (DHCP, mDNS, NetBIOS) or was given by DNS.
  r('names', /^android[-_]/i, 'phone', 3, 'Android default host name'),
  r('names', /iphone/i, 'phone', 3, 'iPhone host name'),
  r('names', /ipad/i, 'tablet', 3, 'iPad host name'),
  r('names', /macbook/i, 'laptop', 3, 'MacBook host name'),
  r('names', /imac|mac-?mini|mac-?pro|mac-?studio/i, 'computer', 3, 'Mac desktop host name'),
  r('names', /^desktop-[a-z0-9]{5,}/i, 'computer', 3, 'Windows desktop default name'),
  r('names', /^laptop-[a-z0-9]{5,}/i, 'laptop', 3, 'Windows laptop default name'),
  r('names', /galaxy-?tab|^kindle/i, 'tablet', 3, 'tablet host name'),
  r('names', /apple-?tv|chromecast|roku|fire-?tv|bravia|lgwebostv|webos|samsung-?tv|smart-?tv|^tv[-_]|[-_]tv$/i, 'tv', 3, 'TV host name'),
  r('names', /google-?home|nest-?(mini|audio)|^echo[-_]|alexa|sonos|homepod/i, 'speaker', 3, 'smart speaker host name'),
  r('names', /nest-?hub|hue-?bridge|philips-hue|^hue[-_]|homey|smartthings|home-?assistant/i, 'hub', 3, 'smart home hub host name'),
  r('names', /thermostat|ecobee|tado|nest-?(learning|thermostat)/i, 'thermostat', 3, 'thermostat host name'),
  r('names', /hikvision|dahua|ipcam|ip-?camera|reolink|wyze|amcrest|arlo|eufy|blink|doorbell|^ring[-_]|ringhpcam|^cam[-_]|camera|tapo-?c\d/i, 'camera', 3, 'camera host name'),
  r('names', /printer|^hp[0-9a-f]{6}|^npi[0-9a-f]{6}|^epson|^br[nw][0-9a-f]{12}|^canon|officejet|laserjet|deskjet/i, 'printer', 3, 'printer host name'),
  r('names', /playstation|^ps[345][-_]|xbox|nintendo/i, 'game_console', 3, 'game console host name'),
  r('names', /synology|diskstation|^nas\d*$|^nas[-_]|qnap|readynas/i, 'nas', 3, 'NAS host name'),
  r('names', /^(sip|voip)[-_]|polycom|yealink|grandstream/i, 'voip', 3, 'VoIP phone host name'),
  r('names', /tasmota|shelly|sonoff|wemo|^hs1\d\d|^kp\d{3}|smart-?plug|tplink|tp-link|tapo-?p\d/i, 'plug', 2, 'smart plug host name'),
  r('names', /(^|[-_ ])(galaxy|pixel|oneplus|redmi|xiaomi|huawei|oppo|motorola|moto-)/i, 'phone', 2, 'phone brand host name'),
  r('names', /router|gateway|openwrt|fritz-?box|^unifi|^usg|edgerouter|mikrotik|^rt-|^archer/i, 'router', 2, 'router host name'),
  r('names', /raspberrypi|^pi-?hole|^rpi/i, 'computer', 2, 'Raspberry Pi host name'),
  r('names', /^esp[_-]|espressif/i, 'iot', 2, 'Espressif default host name'),
  r('names', /watch/i, 'watch', 2, 'watch host name'),
  r('names', /(^|[-_ ])nest/i, 'thermostat', 1, 'Nest host name'),
  // Vendor from the IEEE registry: weak, a vendor makes many kinds of device.
  r('vendor', /Hikvision|Dahua|Axis Communications|Reolink|Amcrest|Wyze|Arlo/i, 'camera', 2, 'camera maker'),
  r('vendor', /^Ring\b/i, 'camera', 2, 'doorbell camera maker'),
  r('vendor', /^Sonos/i, 'speaker', 2, 'speaker maker'),
  r('vendor', /^Roku/i, 'tv', 2, 'streaming TV maker'),
  r('vendor', /ecobee/i, 'thermostat', 2, 'thermostat maker'),
  r('vendor', /Nintendo|Sony Interactive/i, 'game_console', 2, 'game console maker'),
  r('vendor', /Synology|QNAP/i, 'nas', 2, 'NAS maker'),
  r('vendor', /Shelly|Allterco/i, 'plug', 2, 'smart plug maker'),
  r('vendor', /Grandstream|Polycom|Yealink|Snom|Avaya|Mitel/i, 'voip', 2, 'VoIP phone maker'),
  r('vendor', /Nest Labs/i, 'thermostat', 1, 'Nest (thermostats, cameras, speakers)'),
  r('vendor', /Espressif/i, 'iot', 1, 'Wi-Fi chip for smart-home gadgets'),
  r('vendor', /Tuya|Belkin/i, 'plug', 1, 'smart plug maker'),
  r('vendor', /Signify|Philips Lighting/i, 'hub', 1, 'Philips Hue maker'),
  r('vendor', /Amazon Technologies/i, 'speaker', 1, 'Amazon (Echo, Fire TV)'),
  r('vendor', /Seiko Epson|Brother Industries|Lexmark|Xerox|Kyocera|Ricoh/i, 'printer', 1, 'printer maker'),
  r('vendor', /Raspberry Pi/i, 'computer', 1, 'Raspberry Pi'),
  r('vendor', /^(Dell|Lenovo|Intel Corporate|ASUSTek|Micro-Star|Giga-Byte|Acer|Quanta|Wistron|Compal|Hon Hai|Liteon)/i, 'computer', 1, 'PC maker'),
  r('vendor', /VMware|Parallels|XenSource|QEMU/i, 'computer', 1, 'virtual machine'),
  r('vendor', /^(AVM|Ubiquiti|Netgear|Juniper|Cisco|MikroTik|Routerboard|Fortinet|Sagemcom|Technicolor|Arcadyan|Zyxel|DrayTek)/i, 'router', 1, 'network equipment maker'),
  // Last, so that it loses ties: a Pi-hole or NAS may hand out leases too.
  r('roles', /^dhcp_server$/, 'router', 1, 'hands out DHCP leases'),
];

const FIELD_LABEL: Record<ClueField, string> = {
  vendor: 'vendor',
  names: 'name',
  vendorClass: 'DHCP vendor class',
  paramList: 'DHCP options',
  mdnsServices: 'mDNS',
  mdnsTxt: 'mDNS TXT',
  ssdp: 'SSDP',
  ssdpTypes: 'UPnP',
  roles: 'seen',
};

export interface Guess {
  readonly type: string | null;
  /** One phrase per supporting clue, strongest first, e.g. `Android DHCP client (DHCP vendor class android-dhcp-9)`. */
  readonly evidence: readonly string[];
  /** Strength of the deciding clue (0 when unknown). */
  readonly strength: number;
}

export const UNKNOWN: Guess = { type: null, evidence: [], strength: 0 };

/** Evidence phrases kept per device. */
export const MAX_EVIDENCE = 6;
const MAX_VALUE = 60;

function values(c: Clues, f: ClueField): readonly string[] {
  const v = c[f];
  if (v === null) return [];
  return typeof v === 'string' ? [v] : v;
}

function phrase(rule: Rule, value: string): string {
  if (rule.on === 'roles') return rule.says;
  const v = value.length > MAX_VALUE ? value.slice(0, MAX_VALUE) + '…' : value;
  return `${rule.says} (${FIELD_LABEL[rule.on]} ${v})`;
}

/** Applies the rules table to a device's clues. Pure; called when a clue changes, not per packet. */
export function identify(c: Clues): Guess {
  // Per type: best strength, total, first rule index, phrases.
  const byType = new Map<string, { best: number; total: number; first: number; ev: { s: number; p: string }[] }>();
  for (let i = 0; i < RULES.length; i++) {
    const rule = RULES[i];
    for (const v of values(c, rule.on)) {
      if (!rule.re.test(v)) continue;
      let t = byType.get(rule.type);
      if (t === undefined) {
        t = { best: 0, total: 0, first: i, ev: [] };
        byType.set(rule.type, t);
      }
      t.best = Math.max(t.best, rule.strength);
      t.total += rule.strength;
      const p = phrase(rule, v);
      if (!t.ev.some((e) => e.p === p)) t.ev.push({ s: rule.strength, p });
      break; // one value per rule is enough evidence
    }
  }
  let bestType: string | null = null;
  let best: { best: number; total: number; first: number; ev: { s: number; p: string }[] } | null = null;
  for (const [type, t] of byType) {
    if (best === null || t.best > best.best || (t.best === best.best && (t.total > best.total || (t.total === best.total && t.first < best.first)))) {
      best = t;
      bestType = type;
    }
  }
  if (best === null) return UNKNOWN;
  const ev = best.ev.sort((a, b) => b.s - a.s).slice(0, MAX_EVIDENCE).map((e) => e.p);
  return { type: bestType, evidence: ev, strength: best.best };
}

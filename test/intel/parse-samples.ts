/**
 * Hand-written feed samples, one per format, each with well-formed entries, entries to skip and
 * malformed ones. Shared by the format tests and the fuzz test (which mutates them). The layouts
 * follow formats.md §2 (abuse.ch headers and quoting, Spamhaus NDJSON with `\/`, TorDNSEL
 * records, STIX 2.1 bundles, MISP events).
 */
import type { FeedFormat } from '../../src/intel/types.js';

export const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const PLAIN = `# a plain list
; also a comment
// and this
1.2.3.4
1.2.3.77/24
5.6.7.8 ; SBL123
2A00:1450:4001:0812:0000:0000:0000:200E
::ffff:45.33.2.9
10.0.0.1
192.168.1.0/24
100.64.1.1
169.254.1.1
127.0.0.1
224.0.0.251
fe80::1
fc00::1
2001:db8::1
0.0.0.0/0
16.0.0.0/4
Evil.Example.COM.
*.bad.example
http://Evil.Example:80/Path/?q=1
45.33.2.10:8080
1.2.4.0 - 1.2.5.255
1.2.3.256
not a value!
45.33.2.11/33
1.2.3.4
`;

export const FIREHOL = `#
# test
#
# ipv4 hash:net ipset
#
# Maintainer      : Someone
# Entries         : 3 subnets, 513 unique IPs
#
45.33.2.0/24
45.33.4.0/24
45.33.5.1
hello
45.33.6.0/24 trailing
${'x'.repeat(300)}
1.1.1
::1::
zz
`;

export const HOSTS = `# Title: test hosts
# Date: today
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
0.0.0.0 0.0.0.0
255.255.255.255 broadcasthost
0.0.0.0 ads.example.com tracker.example.net # two names
127.0.0.1\tmalware.example.org
0.0.0.0 45.33.2.20
0.0.0.0
garbage-without-address
0.0.0.0 bad..example
`;

export const DOMAINS = `! adblock comment
# hash comment
||ads.example^
*.wild.example
Plain.Example
45.33.2.21
bad..example
com
trailing.example # why
`;

export const FEODO_CSV = `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)           #
# Last updated: 2024-01-01 00:00:00 UTC                         #
################################################################
"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2021-01-17 07:44:46","51.178.161.32","4643","online","2021-08-18","Dridex"
"2021-01-17 07:44:46","51.178.161.32","443","online","2021-08-18","Dridex"
"2021-01-18 07:44:46","192.168.1.1","443","offline","2021-08-18","Dridex"
"2021-01-19 07:44:46","not-an-ip","443","online","2021-08-18","Emotet"
"2021-01-19 07:44:46,"broken
# Number of entries: 4
`;

export const URLHAUS_CSV = `################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3412345","2024-01-01 00:00:00","http://45.33.2.30:80/bins/x.sh","online","2024-01-02","malware_download","elf,mirai","https://urlhaus.abuse.ch/url/3412345/","anonymous"
"3412346","2024-01-01 00:00:01","https://Dl.Evil.Example/a.exe?x=1","offline","None","malware_download","None","https://urlhaus.abuse.ch/url/3412346/","someone"
"3412347","2024-01-01 00:00:02","http://10.1.2.3/x","online","None","malware_download","","https://urlhaus.abuse.ch/url/3412347/","someone"
"3412348","2024-01-01 00:00:03","not a url","online","None","malware_download","","https://urlhaus.abuse.ch/url/3412348/","someone"
`;

export const THREATFOX_CSV = `################################################################
# ThreatFox IOCs: recent                                        #
################################################################
#
# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","is_compromised","reference","tags","anonymous","reporter"
"2024-05-01 10:00:00", "1273541", "45.95.147.236:1337", "ip:port", "botnet_cc", "elf.mirai", "Katana", "Mirai", "", "100", "", "", "mirai", "0", "abuse_ch"
"2024-05-01 10:00:00", "1273542", "evil-c2.example", "domain", "botnet_cc", "win.cobalt_strike", "", "Cobalt Strike", "", "75", "", "https://x.example/report", "None", "0", "someone"
"2024-05-01 10:00:00", "1273543", "http://dl.evil.example/a.exe", "url", "payload_delivery", "win.agent_tesla", "", "Agent Tesla", "", "100", "", "", "exe", "0", "someone"
"2024-05-01 10:00:00", "1273544", "d41d8cd98f00b204e9800998ecf8427e", "md5_hash", "payload", "win.agent_tesla", "", "Agent Tesla", "", "100", "", "", "exe", "0", "someone"
"2024-05-01 10:00:00", "1273545", "someone@evil.example", "email", "botnet_cc", "x", "", "X", "", "100", "", "", "", "0", "someone"
"2024-05-01 10:00:00", "1273546", "300.1.1.1:80", "ip:port", "botnet_cc", "x", "", "X", "", "100", "", "", "", "0", "someone"
`;

export const SSLBL_JA3 = `################################################################
# abuse.ch SSLBL JA3 Fingerprint Blacklist (CSV)                #
################################################################
#
# ja3_md5,Firstseen,Lastseen,Listingreason
b386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 20:42:54,Dridex
8991A387E4CC841740F25D6F5139F92D,2017-07-14 18:08:15,2019-07-27 20:42:54,Adwind
xyz,2017-07-14 18:08:15,2019-07-27 20:42:54,Bad
# END (3 entries)
`;

export const ZEEK_INTEL = `junk before the header
#separator \\x09
#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\tmeta.do_notice\tmeta.whitelist\tmeta.remove
45.33.2.40\tIntel::ADDR\tsrcA\tC2 server\thttp://a.example/1\tT\t-\t-
45.33.8.0/22\tIntel::SUBNET\tsrcA\t-\t-\tF\t-\t-
Evil.Example\tIntel::DOMAIN\tsrcB\tphishing\t-\t-\t-\t-
evil.example/gate.php\tIntel::URL\tsrcB\t-\t-\t-\t-\t-
b386946a5a44d1ddcc843bc75336dfce\tIntel::JA3\tsrcC\tTrickbot\t-\t-\t-\t-
AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD\tIntel::CERT_HASH\tsrcC\t-\t-\t-\t-\t-
${'0'.repeat(64)}\tIntel::FILE_HASH\tsrcC\t-\t-\t-\t-\t-
Mozilla/4.0\tIntel::SOFTWARE\tsrcD\t-\t-\t-\t-\t-
good.example\tIntel::DOMAIN\tsrcE\t-\t-\t-\tT\t-
gone.example\tIntel::DOMAIN\tsrcE\t-\t-\t-\t-\tT
short\tline
45.33.2.41\tIntel::NOPE\tsrcA\t-\t-\t-\t-\t-
not_an_ip\tIntel::ADDR\tsrcA\t-\t-\t-\t-\t-
45.33.2.42\tIntel::SUBNET\tsrcA\t-\t-\t-\t-\t-
`;

export const MALTRAIL = `# Copyright (c) 2014-2026 Maltrail developers (https://github.com/stamparm/maltrail/)
# See the file 'LICENSE' for copying permission

# Aliases: testbot, tb

# Reference: https://ref.example/one

evil-one.example
45.33.2.50:23
http://45.33.2.51
http://45.33.2.52:8080/
/bins/tb.arm7
evil-one.example/gate.php?id=1
45.33.9.0/24 # scanners.example

# Reference: https://ref.example/two
# Reference: https://ref.example/three

evil-two.example
has space.example
bad..example
`;

export const IPSUM = `# IPsum Threat Intelligence Feed
# (https://github.com/stamparm/ipsum)
#
# IP\tnumber of (black)lists
#
45.33.2.60\t10
45.33.2.61\t5
45.33.2.62\t3
45.33.2.63\t2
10.0.0.5\t9
45.33.2.64 x
999.1.1.1\t4
`;

export const TORDNSEL = `ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
Published 2024-02-20 11:19:24
LastStatus 2024-02-20 22:00:00
ExitAddress 162.247.74.201 2024-02-20 22:13:55
ExitNode 0086E4A0A6C8F8E3E5C4B1D0A6C8F8E3E5C4B1D0
Published 2024-02-20 11:19:24
LastStatus 2024-02-20 22:00:00
ExitAddress 185.220.101.1 2024-02-20 22:13:55
ExitAddress 185.220.101.2 2024-02-20 22:13:55
ExitAddress nonsense 2024-02-20 22:13:55
`;

export const SPAMHAUS_TXT = `; Spamhaus DROP List 2024/06/12 - (c) 2024 The Spamhaus Project SLU
; https://www.spamhaus.org/drop/drop.txt
; Last-Modified: Wed, 12 Jun 2024 00:00:00 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604
banana ; SBL1
`;

export const SPAMHAUS_JSON = `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
{"cidr":"2a06:e480::\\/29","sblid":"SBL301771","rir":"ripencc"}
{"asn":6939,"rir":"arin","domain":"he.net","cc":"US","asname":"HURRICANE"}
{"cidr":
{"sblid":"SBL1"}
{"type":"metadata","timestamp":1718150400,"size":12345,"records":2,"copyright":"(c) 2024 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
`;

function stixIndicator(n: number, pattern: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z', valid_from: '2024-01-01T00:00:00Z',
    pattern_type: 'stix', pattern, ...extra,
  };
}

export const STIX = JSON.stringify({
  type: 'bundle',
  id: 'bundle--00000000-0000-4000-8000-000000000000',
  objects: [
    { type: 'identity', spec_version: '2.1', id: 'identity--00000000-0000-4000-8000-000000000001', name: 'ACME CERT' },
    stixIndicator(1, "[ipv4-addr:value = '45.33.2.70/32'] OR [domain-name:value = 'evil.example']", {
      name: 'C2 of Foo', external_references: [{ source_name: 'acme', url: 'https://acme.example/foo' }],
    }),
    stixIndicator(2, "[url:value IN ('http://a.example/x', 'http://b.example/y')]"),
    stixIndicator(3, "[network-traffic:dst_ref.value = '45.33.2.71' AND network-traffic:dst_port = 443]"),
    stixIndicator(4, `[file:hashes.'SHA-256' = '${SHA256}']`),
    stixIndicator(5, "[ipv4-addr:value ISSUBSET '45.33.3.0/24']"),
    stixIndicator(6, "[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']"),
    stixIndicator(7, "[domain-name:value = 'c.example'] WITHIN 60 SECONDS"),
    stixIndicator(8, "[domain-name:value LIKE '%.evil.example']"),
    stixIndicator(9, "[email-addr:value = 'x@evil.example']"),
    stixIndicator(10, "[ipv4-addr:value = 'unterminated]"),
    stixIndicator(11, "[domain-name:value = 'revoked.example']", { revoked: true }),
    stixIndicator(12, 'rule x { condition: true }', { pattern_type: 'yara' }),
    stixIndicator(13, "[domain-name:value = 'expired.example']", { valid_until: '2020-01-01T00:00:00Z' }),
    stixIndicator(14, "[domain-name:value = 'good.example']", { indicator_types: ['benign'] }),
    stixIndicator(15, "[domain-name:value = 'x.example' AND domain-name:value = 'y.example']"),
    stixIndicator(16, "[domain-name:value = 'o1.example' OR email-addr:value = 'a@b.example']"),
    stixIndicator(17, "[x-custom:ja3 = 'B386946A5A44D1DDCC843BC75336DFCE']"),
    stixIndicator(18, "[domain-name:value = 'it\\'s.example']"),
    stixIndicator(19, "[ipv6-addr:value = '2A00:1450::1']"),
    { type: 'indicator', id: 'indicator--no-pattern' },
  ],
});

const mispEvent = {
  Event: {
    uuid: '5f1b5b5e-0000-4000-8000-000000000001', info: 'Emotet wave', date: '2024-01-01', threat_level_id: '1',
    Attribute: [
      { type: 'ip-dst', value: '45.33.2.80', to_ids: true, comment: 'C2' },
      { type: 'ip-src', value: '45.33.2.81', to_ids: false },
      { type: 'ip-dst|port', value: '45.33.2.82|8080', to_ids: true },
      { type: 'domain', value: 'Emotet.Example', to_ids: true },
      { type: 'hostname', value: 'c2.emotet.example', to_ids: true },
      { type: 'domain|ip', value: 'pair.example|45.33.2.83', to_ids: true },
      { type: 'url', value: 'http://emotet.example/load.php', to_ids: true },
      { type: 'uri', value: '/wp-content/x.php', to_ids: true },
      { type: 'ja3-fingerprint-md5', value: 'b386946a5a44d1ddcc843bc75336dfce', to_ids: true },
      { type: 'sha256', value: SHA256, to_ids: true },
      { type: 'filename|md5', value: 'x.exe|d41d8cd98f00b204e9800998ecf8427e', to_ids: true },
      { type: 'email-src', value: 'spam@emotet.example', to_ids: true },
      { type: 'ip-dst', value: '45.33.2.84', to_ids: true, deleted: true },
      { type: 'ip-dst', value: 'not-an-ip', to_ids: true },
      'not an object',
    ],
    Object: [{ name: 'network-connection', Attribute: [{ type: 'ip-dst', value: '45.33.2.85', to_ids: true }] }],
  },
};

export const MISP_EVENT = JSON.stringify(mispEvent);

export const MISP_MANIFEST = JSON.stringify({
  '5f1b5b5e-0000-4000-8000-000000000001': { info: 'Emotet wave', date: '2024-01-01', threat_level_id: '1', timestamp: '1704067200' },
  '5f1b5b5e-0000-4000-8000-000000000002': { info: 'missing', date: '2024-01-01', threat_level_id: '3', timestamp: '1704067200' },
});

export const MISP_CSV = `uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category
5f1b0001-0000-4000-8000-000000000001,12,Network activity,ip-dst,45.33.2.90,C2 of X,1,1704067200,,,,,
5f1b0001-0000-4000-8000-000000000002,12,Network activity,domain,x-c2.example,"with, comma",1,1704067200,,,,,
5f1b0001-0000-4000-8000-000000000003,12,Network activity,ip-src,45.33.2.91,,0,1704067200,,,,,
5f1b0001-0000-4000-8000-000000000004,12,Payload delivery,md5,d41d8cd98f00b204e9800998ecf8427e,,1,1704067200,,,,,
5f1b0001-0000-4000-8000-000000000005,12,Other,text,hello,,1,1704067200,,,,,
5f1b0001-0000-4000-8000-000000000006,12,Network activity,ip-dst,nope,,1,1704067200,,,,,
`;

/** Every sample with the format it is written in. */
export const SAMPLES: readonly { name: string; format: FeedFormat; text: string }[] = [
  { name: 'plain', format: 'plain', text: PLAIN },
  { name: 'firehol', format: 'firehol', text: FIREHOL },
  { name: 'hosts', format: 'hosts', text: HOSTS },
  { name: 'domains', format: 'domains', text: DOMAINS },
  { name: 'feodo', format: 'abusech-csv', text: FEODO_CSV },
  { name: 'urlhaus', format: 'abusech-csv', text: URLHAUS_CSV },
  { name: 'threatfox', format: 'abusech-csv', text: THREATFOX_CSV },
  { name: 'sslbl-ja3', format: 'abusech-csv', text: SSLBL_JA3 },
  { name: 'zeek-intel', format: 'zeek-intel', text: ZEEK_INTEL },
  { name: 'maltrail', format: 'maltrail', text: MALTRAIL },
  { name: 'ipsum', format: 'ipsum', text: IPSUM },
  { name: 'tordnsel', format: 'tor-exits', text: TORDNSEL },
  { name: 'spamhaus-txt', format: 'spamhaus', text: SPAMHAUS_TXT },
  { name: 'spamhaus-json', format: 'spamhaus', text: SPAMHAUS_JSON },
  { name: 'stix', format: 'stix', text: STIX },
  { name: 'misp', format: 'misp', text: MISP_EVENT },
  { name: 'misp-csv', format: 'misp-csv', text: MISP_CSV },
];

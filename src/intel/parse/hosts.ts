/**
 * hosts-file blocklists (StevenBlack, URLhaus `hostfile`): `0.0.0.0 name [name …] [# comment]`,
 * the address being a sinkhole (0.0.0.0, 127.0.0.1, ::1 …) and every following name listed. The
 * boilerplate entries every hosts file starts with (`127.0.0.1 localhost`, `ff02::1 ip6-allnodes`,
 * `0.0.0.0 0.0.0.0` …) are skipped as `localhost`. A listed name that is an address (URLhaus lists
 * IP hosts) becomes an address indicator.
 */
import type { Emitter } from './emit.js';
import { forEachLine, stripTrailingComment, type FeedInput } from './lines.js';
import { isCommentLine } from './plain.js';
import { NetValue, parseNet } from '../normalize.js';

const BOILERPLATE = new Set([
  'localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'localhost4', 'localhost4.localdomain4',
  'localhost6', 'localhost6.localdomain6', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix',
  'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0',
]);

const addr = new NetValue();

export function parseHosts(input: FeedInput, e: Emitter): void {
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || isCommentLine(line)) return;
    const { data, comment } = stripTrailingComment(line, '#');
    const tokens = data.split(/[ \t]+/);
    if (tokens.length < 2 || !parseNet(tokens[0], addr) || addr.prefix !== (addr.v6 ? 128 : 32)) {
      e.bad(raw);
      return;
    }
    const before = e.meta.description;
    if (comment !== '') e.meta.description = comment;
    for (let i = 1; i < tokens.length; i++) {
      const name = tokens[i];
      if (BOILERPLATE.has(name.toLowerCase())) { e.skip('localhost'); continue; }
      if (!e.domain(name) && !e.net(name)) e.bad(raw);
    }
    e.meta.description = before;
  });
}

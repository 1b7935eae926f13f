/**
 * The application analyzers, in one list (rule 3: wiring lives in the registry; decoders never
 * import each other). Add a protocol = add its folder + one line here + golden cases.
 */
import type { AppAnalyzerFactory } from './analyzer.js';
import { createHttpFactory } from './http/index.js';
import { createSshFactory } from './ssh/index.js';
import { createDhcpFactory } from './dhcp/index.js';
import { createDhcpv6Factory } from './dhcpv6/index.js';
import { createTelnetFactory } from './telnet/index.js';
import { createFtpFactory } from './ftp/index.js';
import { createNtpFactory } from './ntp/index.js';
import { createModbusFactory } from './modbus/index.js';
import { createDnp3Factory } from './dnp3/index.js';
import { createDnsFactory } from './dns/index.js';
import { createNbnsFactory } from './nbns/index.js';
import { createSsdpFactory } from './ssdp/index.js';
import { createTlsFactory } from './tls/index.js';

export function createAnalyzers(): AppAnalyzerFactory[] {
  return [
    createHttpFactory(),
    createSshFactory(),
    createDhcpFactory(),
    createDhcpv6Factory(),
    createTelnetFactory(),
    createFtpFactory(),
    createNtpFactory(),
    createModbusFactory(),
    createDnp3Factory(),
    createDnsFactory(),
    createNbnsFactory(),
    createSsdpFactory(),
    createTlsFactory(),
  ];
}

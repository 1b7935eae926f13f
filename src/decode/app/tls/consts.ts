/**
 * TLS code points and the names Zeek prints for them (ssl.log `version`, `cipher`, `curve`,
 * `last_alert`). Names follow the IANA registries, spelled as Zeek's `SSL::*` tables spell them
 * so our logs compare equal to Zeek's; values we do not list print as Zeek does, `unknown-<decimal>`.
 */

/** RFC 8701 GREASE: both bytes equal and of the form 0x?A. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

export const SSLv2 = 0x0002;
export const SSLv3 = 0x0300;
export const TLSv10 = 0x0301;
export const TLSv11 = 0x0302;
export const TLSv12 = 0x0303;
export const TLSv13 = 0x0304;

/**
 * True for TLS 1.3 and its drafts. Zeek tests the other way round (anything that is not SSLv2-
 * TLS 1.2 counts as 1.3) because deployments used many draft and experiment numbers.
 */
export function isTls13Family(v: number): boolean {
  return v !== 0 && v !== SSLv2 && v !== SSLv3 && v !== TLSv10 && v !== TLSv11 && v !== TLSv12;
}

export function versionName(v: number): string {
  switch (v) {
    case SSLv2: return 'SSLv2';
    case SSLv3: return 'SSLv3';
    case TLSv10: return 'TLSv10';
    case TLSv11: return 'TLSv11';
    case TLSv12: return 'TLSv12';
    case TLSv13: return 'TLSv13';
    case 0xfeff: return 'DTLSv10';
    case 0xfefd: return 'DTLSv12';
    case 0xfefc: return 'DTLSv13';
  }
  if ((v >> 8) === 0x7f) return 'TLSv13-draft' + (v & 0xff);
  return 'unknown-' + v;
}

/** JA4 two-character version code (FoxIO JA4.md); anything else, drafts included, is `00`. */
export function ja4VersionCode(v: number): string {
  switch (v) {
    case TLSv13: return '13';
    case TLSv12: return '12';
    case TLSv11: return '11';
    case TLSv10: return '10';
    case SSLv3: return 's3';
    case SSLv2: return 's2';
    case 0xfeff: return 'd1';
    case 0xfefd: return 'd2';
    case 0xfefc: return 'd3';
  }
  return '00';
}

// Cipher suites seen in practice (IANA names). Pairs keep the table readable and greppable.
const CIPHER_LIST: ReadonlyArray<readonly [number, string]> = [
  [0x0000, 'TLS_NULL_WITH_NULL_NULL'],
  [0x0001, 'TLS_RSA_WITH_NULL_MD5'],
  [0x0002, 'TLS_RSA_WITH_NULL_SHA'],
  [0x0003, 'TLS_RSA_EXPORT_WITH_RC4_40_MD5'],
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5'],
  [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'],
  [0x0006, 'TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5'],
  [0x0007, 'TLS_RSA_WITH_IDEA_CBC_SHA'],
  [0x0008, 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA'],
  [0x0009, 'TLS_RSA_WITH_DES_CBC_SHA'],
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x0011, 'TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA'],
  [0x0012, 'TLS_DHE_DSS_WITH_DES_CBC_SHA'],
  [0x0013, 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA'],
  [0x0014, 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA'],
  [0x0015, 'TLS_DHE_RSA_WITH_DES_CBC_SHA'],
  [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x0018, 'TLS_DH_ANON_WITH_RC4_128_MD5'],
  [0x001b, 'TLS_DH_ANON_WITH_3DES_EDE_CBC_SHA'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0032, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA'],
  [0x0034, 'TLS_DH_ANON_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'],
  [0x0038, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x003a, 'TLS_DH_ANON_WITH_AES_256_CBC_SHA'],
  [0x003b, 'TLS_RSA_WITH_NULL_SHA256'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0040, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256'],
  [0x0041, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA'],
  [0x0044, 'TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA'],
  [0x0045, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0x006a, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0084, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA'],
  [0x0087, 'TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA'],
  [0x0088, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA'],
  [0x008a, 'TLS_PSK_WITH_RC4_128_SHA'],
  [0x008b, 'TLS_PSK_WITH_3DES_EDE_CBC_SHA'],
  [0x008c, 'TLS_PSK_WITH_AES_128_CBC_SHA'],
  [0x008d, 'TLS_PSK_WITH_AES_256_CBC_SHA'],
  [0x0096, 'TLS_RSA_WITH_SEED_CBC_SHA'],
  [0x009a, 'TLS_DHE_RSA_WITH_SEED_CBC_SHA'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0x00a2, 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256'],
  [0x00a3, 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384'],
  [0x00a8, 'TLS_PSK_WITH_AES_128_GCM_SHA256'],
  [0x00a9, 'TLS_PSK_WITH_AES_256_GCM_SHA384'],
  [0x00ae, 'TLS_PSK_WITH_AES_128_CBC_SHA256'],
  [0x00af, 'TLS_PSK_WITH_AES_256_CBC_SHA384'],
  [0x00ba, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256'],
  [0x00be, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256'],
  [0x00c0, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256'],
  [0x00c4, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256'],
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
  [0x1304, 'TLS_AES_128_CCM_SHA256'],
  [0x1305, 'TLS_AES_128_CCM_8_SHA256'],
  [0x5600, 'TLS_FALLBACK_SCSV'],
  [0xc001, 'TLS_ECDH_ECDSA_WITH_NULL_SHA'],
  [0xc002, 'TLS_ECDH_ECDSA_WITH_RC4_128_SHA'],
  [0xc003, 'TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc004, 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc005, 'TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc006, 'TLS_ECDHE_ECDSA_WITH_NULL_SHA'],
  [0xc007, 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA'],
  [0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc00b, 'TLS_ECDH_RSA_WITH_NULL_SHA'],
  [0xc00c, 'TLS_ECDH_RSA_WITH_RC4_128_SHA'],
  [0xc00d, 'TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc00e, 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA'],
  [0xc00f, 'TLS_ECDH_RSA_WITH_AES_256_CBC_SHA'],
  [0xc010, 'TLS_ECDHE_RSA_WITH_NULL_SHA'],
  [0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA'],
  [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0xc015, 'TLS_ECDH_ANON_WITH_NULL_SHA'],
  [0xc016, 'TLS_ECDH_ANON_WITH_RC4_128_SHA'],
  [0xc017, 'TLS_ECDH_ANON_WITH_3DES_EDE_CBC_SHA'],
  [0xc018, 'TLS_ECDH_ANON_WITH_AES_128_CBC_SHA'],
  [0xc019, 'TLS_ECDH_ANON_WITH_AES_256_CBC_SHA'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc025, 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256'],
  [0xc026, 'TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc029, 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256'],
  [0xc02a, 'TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02d, 'TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02e, 'TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xc031, 'TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc032, 'TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384'],
  [0xc035, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA'],
  [0xc036, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA'],
  [0xc037, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256'],
  [0xc038, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384'],
  [0xc072, 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256'],
  [0xc073, 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384'],
  [0xc076, 'TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256'],
  [0xc077, 'TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384'],
  [0xc09c, 'TLS_RSA_WITH_AES_128_CCM'],
  [0xc09d, 'TLS_RSA_WITH_AES_256_CCM'],
  [0xc09e, 'TLS_DHE_RSA_WITH_AES_128_CCM'],
  [0xc09f, 'TLS_DHE_RSA_WITH_AES_256_CCM'],
  [0xc0a0, 'TLS_RSA_WITH_AES_128_CCM_8'],
  [0xc0a1, 'TLS_RSA_WITH_AES_256_CCM_8'],
  [0xc0a2, 'TLS_DHE_RSA_WITH_AES_128_CCM_8'],
  [0xc0a3, 'TLS_DHE_RSA_WITH_AES_256_CCM_8'],
  [0xc0a4, 'TLS_PSK_WITH_AES_128_CCM'],
  [0xc0a5, 'TLS_PSK_WITH_AES_256_CCM'],
  [0xc0a8, 'TLS_PSK_WITH_AES_128_CCM_8'],
  [0xc0a9, 'TLS_PSK_WITH_AES_256_CCM_8'],
  [0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM'],
  [0xc0ad, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM'],
  [0xc0ae, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8'],
  [0xc0af, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8'],
  // Pre-RFC 7905 ChaCha20 code points used by Chrome and Android around 2014-2016.
  [0xcc13, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD'],
  [0xcc14, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256_OLD'],
  [0xcc15, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccad, 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccae, 'TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xd001, 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256'],
  [0xd002, 'TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384'],
];

const CIPHERS = new Map<number, string>(CIPHER_LIST);

export function cipherName(v: number): string {
  return CIPHERS.get(v) ?? 'unknown-' + v;
}

/**
 * True when a TLS <= 1.2 ServerKeyExchange for this suite starts with ECParameters (RFC 8422
 * 5.4), i.e. carries the named curve; DHE suites start with the DH prime instead.
 */
export function cipherHasEcdheKeyExchange(v: number): boolean {
  const n = CIPHERS.get(v);
  return n !== undefined && (n.startsWith('TLS_ECDHE_') || n.startsWith('TLS_ECDH_ANON_'));
}

const CURVE_LIST: ReadonlyArray<readonly [number, string]> = [
  [19, 'secp192r1'], [21, 'secp224r1'], [22, 'secp256k1'],
  [23, 'secp256r1'], [24, 'secp384r1'], [25, 'secp521r1'],
  [26, 'brainpoolP256r1'], [27, 'brainpoolP384r1'], [28, 'brainpoolP512r1'],
  [29, 'x25519'], [30, 'x448'],
  [31, 'brainpoolP256r1tls13'], [32, 'brainpoolP384r1tls13'], [33, 'brainpoolP512r1tls13'],
  [41, 'curveSM2'],
  [256, 'ffdhe2048'], [257, 'ffdhe3072'], [258, 'ffdhe4096'], [259, 'ffdhe6144'], [260, 'ffdhe8192'],
  [512, 'MLKEM512'], [513, 'MLKEM768'], [514, 'MLKEM1024'],
  [4587, 'SecP256r1MLKEM768'], [4588, 'X25519MLKEM768'], [4589, 'SecP384r1MLKEM1024'],
  [16696, 'CECPQ2'], [25497, 'X25519Kyber768Draft00'], [25498, 'SecP256r1Kyber768Draft00'],
];

const CURVES = new Map<number, string>(CURVE_LIST);

export function curveName(v: number): string {
  return CURVES.get(v) ?? 'unknown-' + v;
}

const ALERT_LIST: ReadonlyArray<readonly [number, string]> = [
  [0, 'close_notify'], [10, 'unexpected_message'], [20, 'bad_record_mac'],
  [21, 'decryption_failed'], [22, 'record_overflow'], [30, 'decompression_failure'],
  [40, 'handshake_failure'], [41, 'no_certificate'], [42, 'bad_certificate'],
  [43, 'unsupported_certificate'], [44, 'certificate_revoked'], [45, 'certificate_expired'],
  [46, 'certificate_unknown'], [47, 'illegal_parameter'], [48, 'unknown_ca'],
  [49, 'access_denied'], [50, 'decode_error'], [51, 'decrypt_error'],
  [60, 'export_restriction'], [70, 'protocol_version'], [71, 'insufficient_security'],
  [80, 'internal_error'], [86, 'inappropriate_fallback'], [90, 'user_canceled'],
  [100, 'no_renegotiation'], [110, 'unsupported_extension'], [111, 'certificate_unobtainable'],
  [112, 'unrecognized_name'], [113, 'bad_certificate_status_response'],
  [114, 'bad_certificate_hash_value'], [115, 'unknown_psk_identity'],
  [116, 'certificate_required'], [120, 'no_application_protocol'], [121, 'ech_required'],
];

const ALERTS = new Map<number, string>(ALERT_LIST);

export function alertName(v: number): string {
  return ALERTS.get(v) ?? 'unknown-' + v;
}

/** ssl_history letter (lower case; the client's are upper-cased) per handshake message type. */
export function handshakeLetter(type: number): string {
  switch (type) {
    case 0: return 'h';
    case 1: return 'c';
    case 2: return 's';
    case 3: return 'v';
    case 4: return 't';
    case 5: return 'e';
    case 6: return 'j';
    case 8: return 'o';
    case 11: return 'x';
    case 12: return 'k';
    case 13: return 'r';
    case 14: return 'n';
    case 15: return 'y';
    case 16: return 'g';
    case 20: return 'f';
    case 21: return 'w';
    case 22: return 'u';
    case 23: return 'a';
    case 24: return 'p';
    case 254: return 'm';
  }
  return 'z';
}

/** ServerHello.random of a TLS 1.3 HelloRetryRequest (RFC 8446 4.1.3): SHA-256("HelloRetryRequest"). */
export const HRR_RANDOM: Uint8Array = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

export const EXT_SERVER_NAME = 0;
export const EXT_SUPPORTED_GROUPS = 10;
export const EXT_EC_POINT_FORMATS = 11;
export const EXT_SIGNATURE_ALGORITHMS = 13;
export const EXT_ALPN = 16;
export const EXT_SESSION_TICKET = 35;
export const EXT_KEY_SHARE_OLD = 40;
export const EXT_PRE_SHARED_KEY = 41;
export const EXT_SUPPORTED_VERSIONS = 43;
export const EXT_KEY_SHARE = 51;

/*
 * selfsigned — make a self-signed certificate for a host name with the
 * OpenSSL API (EC P-256 key, SAN dNSName, 10 years) and write it as PEM.
 * Used only when the config names no certificate.
 * Errors: -1 after logging.
 */
#ifndef FERRY_TLS_SELFSIGNED_H
#define FERRY_TLS_SELFSIGNED_H

int selfsigned_write(const char *hostname, const char *cert_path,
                     const char *key_path);

#endif

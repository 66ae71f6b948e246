/*
 * command — the commands the SMTP client sends, built from the envelope and
 * what the remote offers: MAIL FROM with SIZE, BODY, SMTPUTF8, RET,
 * ENVID and AUTH (RFC 4954 s5, the addr-spec xtext-encoded); RCPT TO with
 * NOTIFY and ORCPT (RFC 3461, xtext-encoded); the message as DATA content
 * (dot-stuffed, RFC 5321 s4.5.2) and AUTH PLAIN / LOGIN payloads (RFC 4616,
 * base64).
 *
 * 8BITMIME: BODY=8BITMIME goes out only when the remote lists 8BITMIME.
 * When it does not, the message is sent as it is anyway: ferry does not
 * convert to 7 bit (RFC 6152 s3 would have it converted or bounced), as
 * nearly every server takes 8-bit data, and bouncing would lose mail that
 * would have arrived.
 *
 * Ownership: strings returned are the caller's to free; each ends in CRLF.
 * Out of memory aborts.  Pure except relay_cmd_data (appends to an
 * evbuffer).
 */
#ifndef FERRY_RELAY_COMMAND_H
#define FERRY_RELAY_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/envelope.h"
#include "relay/ehlo.h"

struct evbuffer;

/* False for an address that would break a command line (CR, LF, NUL,
 * other controls, '<' or '>'). */
bool relay_addr_ok(const char *addr);

char *relay_cmd_mail(const struct envelope *env, const struct ehlo_caps *caps,
                     size_t msglen);
char *relay_cmd_rcpt(const struct envelope_rcpt *r,
                     const struct ehlo_caps *caps);

/* Appends msg dot-stuffed, with a CRLF added when it does not end in one,
 * and the ".\r\n" that ends DATA. */
void relay_cmd_data(struct evbuffer *out, const char *msg, size_t len);

/* "AUTH PLAIN <base64(\0user\0pass)>\r\n" */
char *relay_cmd_auth_plain(const char *user, const char *pass);
/* base64(s) + "\r\n", for the AUTH LOGIN steps. */
char *relay_cmd_base64_line(const char *s);
/* Overwrites and frees a string that held a secret. */
void relay_cmd_free_secret(char *s);

#endif

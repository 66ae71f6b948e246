/*
 * codec — the milter protocol's packets (Sendmail libmilter, version 6):
 * a 4-octet length in network order (command byte included), the command
 * byte, then its data.  Bytes in, packets out, no I/O, so the reply parser
 * is fuzzed directly (tests/fuzz/fuzz_milter_reply.c).
 *
 * Ownership: milter_pkt_*() append to an evbuffer the caller owns;
 * milter_reply_parse() points into the caller's buffer.  Errors:
 * MILTER_PARSE_ERROR with a static message.  Pure; any thread.
 */
#ifndef FERRY_MILTER_CODEC_H
#define FERRY_MILTER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define MILTER_VERSION 6
#define MILTER_PACKET_MAX (1024 * 1024) /* larger replies are refused */
#define MILTER_CHUNK_MAX 65535          /* body octets per SMFIC_BODY */

/* Commands to the milter (SMFIC_*). */
enum {
	SMFIC_ABORT = 'A',
	SMFIC_BODY = 'B',
	SMFIC_CONNECT = 'C',
	SMFIC_MACRO = 'D',
	SMFIC_BODYEOB = 'E',
	SMFIC_HELO = 'H',
	SMFIC_HEADER = 'L',
	SMFIC_MAIL = 'M',
	SMFIC_EOH = 'N',
	SMFIC_OPTNEG = 'O',
	SMFIC_QUIT = 'Q',
	SMFIC_RCPT = 'R',
	SMFIC_DATA = 'T',
};

/* Replies from the milter (SMFIR_*). */
enum {
	SMFIR_ADDRCPT = '+',
	SMFIR_DELRCPT = '-',
	SMFIR_ADDRCPT_PAR = '2',
	SMFIR_ACCEPT = 'a',
	SMFIR_REPLBODY = 'b',
	SMFIR_CONTINUE = 'c',
	SMFIR_DISCARD = 'd',
	SMFIR_CHGFROM = 'e',
	SMFIR_ADDHEADER = 'h',
	SMFIR_INSHEADER = 'i',
	SMFIR_CHGHEADER = 'm',
	SMFIR_PROGRESS = 'p',
	SMFIR_QUARANTINE = 'q',
	SMFIR_REJECT = 'r',
	SMFIR_SKIP = 's',
	SMFIR_TEMPFAIL = 't',
	SMFIR_REPLYCODE = 'y',
	SMFIR_OPTNEG = 'O',
};

/* Actions the MTA allows (SMFIF_*) and protocol steps (SMFIP_*). */
#define SMFIF_ADDHDRS 0x01u
#define SMFIF_CHGBODY 0x02u
#define SMFIF_ADDRCPT 0x04u
#define SMFIF_DELRCPT 0x08u
#define SMFIF_CHGHDRS 0x10u
#define SMFIF_QUARANTINE 0x20u
#define SMFIF_CHGFROM 0x40u
#define SMFIF_ADDRCPT_PAR 0x80u

#define SMFIP_NOCONNECT 0x1u
#define SMFIP_NOHELO 0x2u
#define SMFIP_NOMAIL 0x4u
#define SMFIP_NORCPT 0x8u
#define SMFIP_NOBODY 0x10u
#define SMFIP_NOHDRS 0x20u
#define SMFIP_NOEOH 0x40u
#define SMFIP_NR_HDR 0x80u
#define SMFIP_NOUNKNOWN 0x100u
#define SMFIP_NODATA 0x200u
#define SMFIP_SKIP 0x400u
#define SMFIP_NR_CONN 0x1000u
#define SMFIP_NR_HELO 0x2000u
#define SMFIP_NR_MAIL 0x4000u
#define SMFIP_NR_RCPT 0x8000u
#define SMFIP_NR_DATA 0x10000u
#define SMFIP_NR_UNKN 0x20000u
#define SMFIP_NR_EOH 0x40000u
#define SMFIP_NR_BODY 0x80000u

/* What ferry offers: the actions below, and every step may be left out
 * or left unanswered. */
#define MILTER_ACTIONS                                                         \
	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT |       \
	 SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR)
#define MILTER_STEPS                                                           \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |        \
	 SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NR_HDR |            \
	 SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP | SMFIP_NR_CONN |         \
	 SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |       \
	 SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* One packet: cmd and its data (not NUL-terminated). */
void milter_pkt(struct evbuffer *out, char cmd, const void *data, size_t len);
/* A packet of NUL-terminated strings, NULL-ended list. */
void milter_pkt_strings(struct evbuffer *out, char cmd, const char *first, ...)
        __attribute__((sentinel));
void milter_pkt_optneg(struct evbuffer *out);
/* SMFIC_CONNECT for an IPv4/IPv6 text address, or "unknown". */
void milter_pkt_connect(struct evbuffer *out, const char *name,
                        const char *addr, int port);

enum milter_parse_status {
	MILTER_PARSE_OK,
	MILTER_PARSE_MORE,
	MILTER_PARSE_ERROR,
};

struct milter_reply {
	char cmd;
	const uint8_t *data; /* into the input */
	uint32_t len;
	size_t consumed; /* octets of input the packet took */
};

enum milter_parse_status milter_reply_parse(const uint8_t *buf, size_t len,
                                            struct milter_reply *out,
                                            const char **error_r);
/* The next whole reply waiting in `in` (a connection's input): OK with
 * *out pointing into it (drain out->consumed once it is handled), MORE
 * when the rest has not come yet, ERROR with "protocol error: ..." in
 * why. */
enum milter_parse_status milter_reply_next(struct evbuffer *in,
                                           struct milter_reply *out, char *why,
                                           size_t why_len);

/* The fields of the replies that carry some (a reply's data as sent). */
struct milter_optneg {
	uint32_t version, actions, steps;
};
int milter_parse_optneg(const struct milter_reply *r, struct milter_optneg *o);
/* SMFIR_ADDHEADER: name, value.  SMFIR_CHGHEADER/INSHEADER: index,
 * name, value.  Pointers into r->data, NUL-terminated there. */
int milter_parse_header(const struct milter_reply *r, bool indexed,
                        uint32_t *index, const char **name, const char **value);
/* The first NUL-terminated string (ADDRCPT, DELRCPT, QUARANTINE,
 * CHGFROM, REPLYCODE). */
int milter_parse_string(const struct milter_reply *r, const char **s);
/* SMFIR_REPLYCODE: "550 5.7.1 text", a code of class 4 or 5 followed by a
 * space or the end; -1 otherwise. */
int milter_parse_replycode(const char *s, int *code);

#endif

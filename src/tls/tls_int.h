/*
 * tls_int.h — the two halves of a TLS private key kept in another process:
 * the daemon's side (remote_key.c, a key object whose private operations
 * are requests) and the key process's side (key_server.c, which holds the
 * key and answers).  The messages go over a msgpipe (base/msgpipe.h).
 */
#ifndef FERRY_TLS_TLS_INT_H
#define FERRY_TLS_TLS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Message types; an answer is TLS_KEY_OK with its data or TLS_KEY_ERR
 * with a reason. */
enum tls_key_msg {
	TLS_KEY_CHAIN = 1,  /* read the pair again; answer: the chain, PEM */
	TLS_KEY_RSA_SIGN,   /* int32 padding, then the block: RSA private op */
	TLS_KEY_ECDSA_SIGN, /* the digest; answer: the DER signature */
	TLS_KEY_OK,
	TLS_KEY_ERR,
};

/* A signature takes well under a millisecond; a key process that does
 * not answer in this time is taken for dead. */
#define TLS_KEY_TIMEOUT_MS 2000
/* The longest block signed: an RSA modulus of 16384 bits. */
#define TLS_KEY_BLOCK_MAX 2048

/* The daemon's end of the link: every private operation goes over fd. */
void remote_key_link(int fd);
/* false once the key process is gone (logged once). */
bool remote_key_alive(void);
void remote_key_lost(void);
/*
 * A key with the public half of pub (RSA or EC) whose private operations
 * are requests to the key process.  NULL for another key type.
 */
EVP_PKEY *remote_key_new(EVP_PKEY *pub);

#endif

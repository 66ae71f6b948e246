/*
 * message — a message held for the milters as header fields and a body,
 * edited by their replies (add, insert, change, delete a header field;
 * replace the body) and written out again.  Header fields keep their
 * bytes as received (folding included), so an unedited message comes out
 * exactly as it went in.
 *
 * Ownership: the message owns copies of everything.  Out of memory
 * aborts.  Pure; any thread.
 */
#ifndef FERRY_MILTER_MESSAGE_H
#define FERRY_MILTER_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

struct milter_header {
	char *name;
	char *value; /* what follows the colon, CRLF folding included */
};

struct milter_message {
	struct milter_header *h;
	size_t nh;
	char *body; /* after the empty line, CRLF line ends */
	size_t bodylen;
	bool changed;
	struct evbuffer *new_body; /* SMFIR_REPLBODY chunks, or NULL */
};

/* data: the message as received (CRLF line ends). */
void milter_message_parse(struct milter_message *m, const char *data,
                          size_t len);
void milter_message_free(struct milter_message *m);

/* The value as a milter sees it: leading space dropped, CRLF -> LF. */
char *milter_header_value(const struct milter_header *h);

/* Edits from milter replies; value as a milter gives it (LF folding). */
void milter_message_add(struct milter_message *m, const char *name,
                        const char *value);
void milter_message_insert(struct milter_message *m, uint32_t index,
                           const char *name, const char *value);
/* index counts from 1 among fields of that name; "" deletes. */
void milter_message_change(struct milter_message *m, uint32_t index,
                           const char *name, const char *value);
void milter_message_body_chunk(struct milter_message *m, const void *data,
                               size_t len);
/* Ends a series of REPLBODY chunks: they become the body. */
void milter_message_body_done(struct milter_message *m);

/* The message as it stands, CRLF line ends. */
void milter_message_write(const struct milter_message *m, struct evbuffer *out);

#endif
